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
    """(script body, strong ETag). json.dumps quotes the values safely for JS."""
    app_url = f"{base_url}/widget/app.js?v={app_bundle()[2]}"
    body = (
        _template()
        .replace("__CHATELLY_KEY__", json.dumps(widget_key))
        .replace("__CHATELLY_BASE__", json.dumps(base_url))
        .replace("__CHATELLY_APP__", json.dumps(app_url))
    )
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    return body, etag


APP_SOURCE = Path(__file__).parent / "js" / "widget.js"


@lru_cache(maxsize=1)
def app_bundle() -> tuple[str, str, str]:
    """(body, ETag, version) of the widget UI; the version changes with the file."""
    body = APP_SOURCE.read_text()
    digest = hashlib.sha256(body.encode()).hexdigest()
    return body, f'"{digest[:32]}"', digest[:12]
