"""Why a chat write was refused, in the codes of docs/protocol.md's error frames.

The errors are the project's one hierarchy (chatelly.errors: AppError and its
subclasses); the helpers below build the subclasses chat raises most. The
socket sends them as `error` frames and the API's exception handler as its
error body.
"""

from chatelly.errors import ChatClosed, InvalidInput, NotFound


def invalid(message: str, field: str | None = None) -> InvalidInput:
    return InvalidInput(message, field=field)


def not_found(message: str = "Not found.", field: str | None = None) -> NotFound:
    return NotFound(message, field=field)


def chat_closed() -> ChatClosed:
    return ChatClosed()
