"""The loader script, rendered per widget key with a stable ETag."""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

SOURCE = Path(__file__).parent / "js" / "loader.js"
CACHE_CONTROL = "public, max-age=300"


@lru_cache(maxsize=1)
def _template() -> str:
    return SOURCE.read_text()


def render_loader(*, widget_key: str, base_url: str) -> tuple[str, str]:
    """(script body, strong ETag). json.dumps quotes both values safely for JS."""
    body = (
        _template()
        .replace("__CHATELLY_KEY__", json.dumps(widget_key))
        .replace("__CHATELLY_BASE__", json.dumps(base_url))
    )
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    return body, etag
