"""A socket frame from text to a checked dict, or a `FrameError` naming the code
of the error frame to answer (docs/protocol.md, "Bad frames").

Nothing a client sends may reach a handler that the database or a handler
cannot take: JSON nested deeper than any frame needs (Python's parser raises
RecursionError near 1,000 levels, which had killed the socket), text with
U+0000 or a lone surrogate (PostgreSQL and UTF-8 refuse both, failing a whole
batch of messages), and numbers no id or seq can be (bigint overflow, NaN).
"""

import json
import math
from typing import Any, TypeGuard

from chatelly.text import unstorable

# The deepest valid frame is `sync`: {"chats": {"<id>": seq}}, depth 2; the
# rest is room for fields a newer client may add (unknown fields are ignored).
MAX_DEPTH = 8
# Ids and seqs fit in JavaScript's safe integers (and PostgreSQL's bigint).
MAX_INT = 2**53 - 1


class FrameError(Exception):
    def __init__(self, code: str, message: str, client_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.client_id = client_id


def parse_frame(text: str, *, max_chars: int) -> dict:
    """The frame as a dict with a string `type`; raises FrameError."""
    if len(text) > max_chars:
        raise FrameError("too_long", "The frame is too large.")
    try:
        frame = json.loads(text)
    except RecursionError:
        raise FrameError("invalid_frame", "The frame is nested too deeply.") from None
    except ValueError:  # not JSON, or an integer of more digits than Python converts
        raise FrameError("invalid_frame", "The frame is not JSON.") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise FrameError("invalid_frame", "A frame is a JSON object with a string type.")
    return frame


def check_values(frame: dict) -> None:
    """Raise FrameError(validation_error) for a value no handler may see."""
    problem = _problem(frame, "", 0)
    if problem is not None:
        client_id = frame.get("client_id")
        if not isinstance(client_id, str) or unstorable(client_id):
            client_id = None
        raise FrameError("validation_error", problem, client_id)


def _problem(value: Any, path: str, depth: int) -> str | None:
    name = path or "the frame"
    if isinstance(value, str):
        return f"{name} contains a character that cannot be stored." if unstorable(value) else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return f"{name} is out of range." if abs(value) > MAX_INT else None
    if isinstance(value, float):
        return None if math.isfinite(value) and abs(value) <= MAX_INT else f"{name} is out of range."
    if depth >= MAX_DEPTH:
        return f"{name} is nested too deeply."
    items = value.items() if isinstance(value, dict) else ((str(i), v) for i, v in enumerate(value))
    for key, item in items:
        if unstorable(key):
            return f"{name} has a key that cannot be stored."
        found = _problem(item, f"{path}.{key}" if path else key, depth + 1)
        if found is not None:
            return found
    return None


def is_int_between(value: object, low: int, high: int = MAX_INT) -> TypeGuard[int]:
    """A JSON integer (not a bool) in [low, high]."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
