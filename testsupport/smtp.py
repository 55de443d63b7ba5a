"""A real SMTP server for the email tests (aiosmtpd on a free 127.0.0.1 port).

It keeps what it receives, parsed, and can be told to refuse: a permanent
refusal of a recipient (550, a bounce), a passing one of the message (451), or
to be down altogether (tests then stop it and point Django at the dead port).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                return part.get_content()
        raise LookupError(content_type)


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse_rcpt: set[str] = field(default_factory=set)  # addresses answered 550
    defer_data: int = 0  # this many messages answered 451 first
    stall_rcpt: float = 0.0  # the next RCPT waits this long (a client killed meanwhile sends nothing)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    stalled: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall_rcpt:
            stall, self.stall_rcpt = self.stall_rcpt, 0.0
            self.stalled.set()
            await asyncio.sleep(stall)
        if address.lower() in self.refuse_rcpt:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.defer_data > 0:
            self.defer_data -= 1
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
            self.arrived.notify_all()
        return "250 Message accepted"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
        return list(self.received)


class FreePortController(Controller):
    """aiosmtpd's Controller on port 0: its readiness probe would connect to
    port 0, so the real port is read off the bound socket first."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    def __init__(self) -> None:
        self.handler = Handler()
        self.controller = FreePortController(self.handler, hostname="127.0.0.1", port=0)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"
