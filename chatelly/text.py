"""Text PostgreSQL cannot store: U+0000, and lone surrogates (valid JSON
escapes, but not UTF-8). Every input path refuses it with one test: the HTTP
body parser, the website settings schema and the socket frames."""

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> bool:
    """True when PostgreSQL cannot store `text`."""
    if text.isascii():  # most text: one C pass, no regex
        return "\x00" in text
    return _UNSTORABLE.search(text) is not None
