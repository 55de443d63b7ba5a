"""Structured JSON logs (structlog): one line per request and per socket event.

Lines carry a request or connection id, the user or visitor id, the website
id, status and duration. Never passwords, tokens, tickets or message content:
paths are logged without their query string, bodies never.
"""

import logging
import re
import time
import uuid

import structlog

from .middleware import BothModes

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
request_log = structlog.get_logger("chatelly.requests")


def shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure() -> None:
    structlog.configure(
        processors=[*shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(level: str, fmt: str) -> dict:
    renderer = "structlog.dev.ConsoleRenderer" if fmt == "console" else "structlog.processors.JSONRenderer"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    _import(renderer)(),
                ],
                "foreign_pre_chain": shared_processors(),
            }
        },
        "filters": {"socket_chatter": {"()": "chatelly.logs.DropSocketChatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Our own lines say it better (and without query strings).
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
            "django.channels.server": {"level": "WARNING"},
            "daphne": {"level": "WARNING"},
            "uvicorn.access": {"level": "WARNING"},
            "uvicorn.error": {"filters": ["socket_chatter"]},
        },
    }


class DropSocketChatter:
    """uvicorn's lines per WebSocket: the three INFO ones (accepted, open, closed)
    dropped, the refusals kept without their query string.

    ws_connect / ws_disconnect say it with the ids, in JSON; at 10,000 sockets
    uvicorn's lines were 30,000 unstructured lines per reconnect storm and a
    few percent of the server's CPU. And they carried the path's query string:
    a visitor's token, an agent's ticket."""

    CHATTER = frozenset({'%s - "WebSocket %s" [accepted]', "connection open", "connection closed"})
    HANDSHAKE = '%s - "WebSocket %s"'

    def filter(self, record) -> bool:
        if record.levelno == logging.INFO and record.msg in self.CHATTER:
            return False
        handshake = isinstance(record.msg, str) and record.msg.startswith(self.HANDSHAKE)
        if handshake and isinstance(record.args, tuple) and len(record.args) >= 2:
            client, path, *rest = record.args
            record.args = (client, str(path).split("?", 1)[0], *rest)
        return True


def _import(path: str):
    module, name = path.rsplit(".", 1)
    return getattr(__import__(module, fromlist=[name]), name)


class RequestLogMiddleware(BothModes):
    """Binds a request id, answers it in X-Request-ID, and logs one line per request."""

    def before(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        return request_id, time.perf_counter()

    def after(self, request, response, state):
        request_id, started = state
        response["X-Request-ID"] = request_id
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        request_log.info(
            "http_request",
            method=request.method,
            path=request.path,
            view=match.view_name if match else None,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            user_id=user.pk if user is not None and user.is_authenticated else None,
            website_id=(match.kwargs.get("website_id") if match else None),
        )
        structlog.contextvars.clear_contextvars()
        return response


def socket_log() -> structlog.stdlib.BoundLogger:
    return structlog.get_logger("chatelly.sockets")
