"""visitor_mail's writes: email a visitor the agent replies they missed and the
transcripts they ask for, resume a chat from a link, unsubscribe. Email goes
only through mail.services.queue_email, each with an idempotency key and an
unsubscribe link."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from chat import presence
from chat import selectors as chat_selectors
from chat.models import Chat, Message, SenderType
from chat.sockets.visitor_tokens import visitor_token_make
from chatelly import jobs
from chatelly.errors import InvalidInput, NotFound
from mail import services as mail

from . import links, selectors

logger = logging.getLogger("chatelly.visitor_mail")

# Emails queued by one sweep at most; the next sweep (30 s later) takes the rest.
EMAILS_PER_SWEEP = 500
BAD_LINK = "This link is not valid or has expired."


# --- what the templates show ---------------------------------------------------------


def _author(message: Message, names: dict[str, str]) -> str:
    if message.sender_type == SenderType.AGENT:
        return names.get(message.sender_id) or "Agent"
    if message.sender_type == SenderType.VISITOR:
        return "You"
    return "Bot" if message.sender_type == SenderType.BOT else "Chat"


def _lines(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages as the templates show them: author, text, attachment name and link."""
    names = selectors.agent_names(messages)
    lines = []
    for message in messages:
        attachment = None
        if message.attachment_id and message.attachment is not None:
            attachment = {
                "name": message.attachment.name,
                "url": selectors.absolute(message.attachment.file.url),
            }
        lines.append(
            {
                "author": _author(message, names),
                "content": message.content,
                "attachment": attachment,
                "at": message.created_at,
            }
        )
    return lines


def _send(*, key: str, kind: str, to: str, template: str, context: dict[str, Any], website_id: int) -> bool:
    """Queue one email to a visitor, with the unsubscribe link; False for an address
    that is not one (stored before identify checked it)."""
    try:
        mail.queue_email(
            key=key,
            kind=kind,
            to=to,
            template=template,
            context=context,
            website_id=website_id,
            unsubscribe_url=links.unsubscribe_url(email=to, website_id=website_id),
        )
    except ValidationError:
        logger.warning("visitor email not sent: not an address", extra={"key": key})
        return False
    return True


# --- replies the visitor has not seen ----------------------------------------------


def unseen_replies_email(*, now: datetime) -> int:
    """Email each visitor who left an address the agent replies they have not read
    for CHATELLY_REPLY_EMAIL_MINUTES while not connected: one email per run of
    unseen replies (its key names the run's first message). Returns the emails queued."""
    queued = 0
    for run in selectors.unseen_reply_runs(now=now, minutes=settings.CHATELLY_REPLY_EMAIL_MINUTES):
        # Checked last, per chat: the visitor may be reading it right now. Connected
        # visitors' chats stay candidates, so the cap counts emails, not candidates.
        if presence.visitor_online(website_id=run.website_id, visitor_id=run.visitor_id):
            continue
        queued += _reply_email(run)
        if queued >= EMAILS_PER_SWEEP:
            break
    return queued


def _reply_email(run: selectors.UnseenRun) -> int:
    replies, more = selectors.unseen_replies(chat_id=run.chat_id, first_seq=run.first_seq)
    if not replies:  # read since the sweep's query
        return 0
    token = links.resume_token_make(website_id=run.website_id, chat_id=run.chat_id, visitor_id=run.visitor_id)
    context = {
        "website_name": run.website_name,
        "replies": _lines(replies),
        "more": more,
        "resume_url": links.resume_url(domain=run.website_domain, token=token),
    }
    sent = _send(
        key=selectors.reply_key(run.chat_id, run.first_seq),
        kind="visitor_reply",
        to=run.email,
        template="visitor_reply",
        context=context,
        website_id=run.website_id,
    )
    return int(sent)


# --- transcripts ----------------------------------------------------------------------


def transcript_key(chat: Chat, email: str) -> str:
    """The same chat, as long as it is, to the same address: one email (a double click)."""
    digest = hashlib.sha256(mail.normalize(email).encode()).hexdigest()[:32]
    return f"transcript:{chat.id}:{chat.last_seq}:{digest}"


def transcript_request(*, website_id: int, visitor_id: str, chat_id: int | None, email: str) -> int:
    """Queue the job that emails the visitor's chat (their latest without `chat_id`)
    to `email`; returns the chat's id. Another visitor's chat is not found."""
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput("Enter a valid email address.", field="email") from None
    chat = selectors.visitor_chat(website_id=website_id, visitor_id=visitor_id, chat_id=chat_id)
    if chat is None:
        raise NotFound("No such chat.", field="chat_id")
    from .tasks import send_transcript

    jobs.on_commit(send_transcript, chat.id, email, transcript_key(chat, email))
    return chat.id


def transcript_send(*, chat_id: int, email: str, key: str) -> bool:
    """The job's work: render the whole conversation and queue it (once per key)."""
    if selectors.email_exists(key):
        return False
    chat = Chat.objects.select_related("website").filter(id=chat_id).first()
    if chat is None:  # erased meanwhile
        return False
    messages, more = selectors.transcript_messages(chat_id=chat.id)
    context = {
        "website_name": chat.website.name,
        "started_at": chat.started_at,
        "lines": _lines(messages),
        "more": more,
    }
    return _send(
        key=key,
        kind="visitor_transcript",
        to=email,
        template="visitor_transcript",
        context=context,
        website_id=chat.website_id,
    )


# --- resume links and unsubscribe --------------------------------------------------


@dataclass
class Resumed:
    chat: Chat
    history: list[Message]
    visitor_token: str


def chat_resume(*, website_id: int, token: object) -> Resumed:
    """The chat a resume link names, its latest messages and a visitor token for
    its visitor: the widget carries on as that visitor. A bad, expired or
    tampered token, or one of another website: InvalidInput on `token`."""
    resume = links.resume_token_read(token)
    if resume is None or resume.website_id != website_id:
        raise InvalidInput(BAD_LINK, field="token")
    chat = selectors.visitor_chat(website_id=website_id, visitor_id=resume.visitor_id, chat_id=resume.chat_id)
    if chat is None:  # erased since the email went
        raise InvalidInput(BAD_LINK, field="token")
    return Resumed(
        chat=chat,
        history=chat_selectors.messages_latest(chat_id=chat.id),
        visitor_token=visitor_token_make(website_id=website_id, visitor_id=resume.visitor_id),
    )


def unsubscribe(*, token: object) -> str:
    """Stop this website's visitor email to the token's address; returns the address."""
    found = links.unsubscribe_token_read(token)
    if found is None:
        raise InvalidInput("This unsubscribe link is not valid.", field="token")
    email, website_id = found
    mail.suppress(email, reason="unsubscribe", website_id=website_id)
    return email
