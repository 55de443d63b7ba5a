"""What may go into a header: one line, no control characters, bounded."""

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")


def one_line(value: object, limit: int = 200) -> str:
    """`value` as a single header-safe line: line breaks and other control
    characters become one space, so nothing can start a new header."""
    text = _CONTROL.sub(" ", str(value))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
