"""Why a chat write was refused, in the codes of PROTOCOL.md's error frames.

Services raise ChatError; the socket sends it as an `error` frame and the REST
views turn it into the API's error body (chatelly.api.errors).
"""


class ChatError(Exception):
    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def invalid(message: str, field: str | None = None) -> ChatError:
    return ChatError("validation_error", message, field=field)


def not_found(message: str = "Not found.", field: str | None = None) -> ChatError:
    return ChatError("not_found", message, field=field)


def chat_closed() -> ChatError:
    return ChatError("chat_closed", "The chat is closed.")
