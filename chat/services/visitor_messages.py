"""Visitors' messages, many in one transaction (the socket's batched writer,
`chat.writer.queue`, hands over whatever queued while the last batch ran).

Per batch, whatever its size: one lock of the visitors' active chats (in id
order, so two processes never deadlock), one look-up of earlier messages with
the same client_id, one insert of the new chats, one of the messages, one
update of the chats. Each chat's `seq` still comes from its locked row, so it
stays gap-free, and nothing is acknowledged before the commit. A job's own
problem (a bad field, a foreign attachment) fails that job only.
"""

import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max

from chat import bot
from chat.models import Attachment, Chat, ChatStatus, Message, SenderType, Visitor
from chat.writer import statements
from chatelly.errors import AppError, EmailRequired
from websites.widget_cache import SiteSnapshot

from .messages import (
    Posted,
    attachment_usable,
    chat_took,
    check_attachment_id,
    check_client_id,
    check_content,
    messages_stored,
    next_message,
)

logger = logging.getLogger("chatelly.chat")

CONFLICT_RETRIES = 3


@dataclass
class MessageJob:
    """One visitor message frame, checked and waiting for its batch."""

    site: SiteSnapshot
    visitor: Visitor
    content: str
    client_id: str
    attachment_id: int | None = None
    exclude: str | None = None  # the sending socket: it gets an ack instead
    attachment: Attachment | None = field(default=None, repr=False)
    result: Posted | AppError | None = field(default=None, repr=False)


def message_job(
    *,
    site: SiteSnapshot,
    visitor: Visitor,
    content: object,
    client_id: object,
    attachment_id: object = None,
    exclude: str | None = None,
) -> MessageJob:
    """A checked job, or AppError for a bad field (nothing is stored)."""
    client_id = check_client_id(client_id, required=True)
    attachment_id = check_attachment_id(attachment_id)
    content = check_content(content, has_attachment=attachment_id is not None)
    return MessageJob(site, visitor, content, client_id, attachment_id, exclude)


def visitor_message_post(
    *,
    site: SiteSnapshot,
    visitor: Visitor,
    content: object,
    client_id: object,
    attachment_id: object = None,
    exclude: str | None = None,
) -> Posted:
    """One visitor message (raises AppError); the same path as a batch of one."""
    job = message_job(
        site=site,
        visitor=visitor,
        content=content,
        client_id=client_id,
        attachment_id=attachment_id,
        exclude=exclude,
    )
    visitor_messages_post(jobs=[job])
    if isinstance(job.result, AppError):
        raise job.result
    assert job.result is not None  # visitor_messages_post sets every job's result
    return job.result


def visitor_messages_post(*, jobs: list[MessageJob]) -> None:
    """Store the jobs' messages in one transaction; each job's `result` is set to a
    Posted or an AppError. Retried when another process opened one of the chats at
    the same moment (the one-active-chat index refused our insert)."""
    for attempt in range(CONFLICT_RETRIES + 1):
        for job in jobs:
            job.result = None
        try:
            with transaction.atomic():
                statements.probes_only()
                _post_all(jobs)
            return
        except IntegrityError:
            if attempt == CONFLICT_RETRIES:
                raise
            logger.info("chat opened concurrently; retrying the batch")


# --- one batch -------------------------------------------------------------------


def _post_all(jobs: list[MessageJob]) -> None:
    _check_email(jobs)
    _check_attachments(jobs)
    pending = [job for job in jobs if job.result is None]
    if not pending:
        return
    visitors = sorted({(job.site["id"], job.visitor.pk) for job in pending})
    active = {chat.visitor_record_id: chat for chat in statements.lock_active_chats(visitors)}
    last_closed = _last_closed_chats([pk for _, pk in visitors if pk not in active])
    earlier = _earlier_messages(pending, active, last_closed)

    started: dict[int, Chat] = {}
    first_of: dict[tuple[int, str], MessageJob] = {}  # the job that stores a client_id
    repeats: list[tuple[MessageJob, MessageJob]] = []
    for job in pending:
        pk, key = job.visitor.pk, (job.visitor.pk, job.client_id)
        chat = active.get(pk) or started.get(pk)
        chat_id = chat.id if chat is not None else last_closed.get(pk)
        if key in first_of:
            repeats.append((job, first_of[key]))
        elif (chat_id, job.client_id) in earlier:
            job.result = Posted(earlier[(chat_id, job.client_id)], created=False)
        else:
            first_of[key] = job
            if chat is None:
                started[pk] = Chat(
                    website_id=job.site["id"],
                    visitor_record=job.visitor,
                    visitor_id=job.visitor.visitor_id,
                    session_id=job.visitor.session_id,
                )
    if started:
        Chat.objects.bulk_create(started.values())
    _store(list(first_of.values()), active | started, started)
    for job, first in repeats:
        assert isinstance(first.result, Posted)  # _store posted every first job (repeats are rare)
        job.result = Posted(first.result.message, created=False)


def _check_email(jobs: list[MessageJob]) -> None:
    """`require_email`: the visitor object may be older than its identify frame."""
    missing = [
        job
        for job in jobs
        if job.site["settings"].get("require_email") and not job.visitor.email and job.result is None
    ]
    if not missing:
        return
    emails = dict(
        Visitor.objects.filter(pk__in={job.visitor.pk for job in missing}).values_list("pk", "email")
    )
    for job in missing:
        job.visitor.email = emails.get(job.visitor.pk) or ""
        if not job.visitor.email:
            job.result = EmailRequired()


def _check_attachments(jobs: list[MessageJob]) -> None:
    wanted = {job.attachment_id for job in jobs if job.attachment_id is not None}
    if not wanted:
        return
    found = Attachment.objects.in_bulk(wanted)
    for job in jobs:
        if job.attachment_id is None or job.result is not None:
            continue
        try:
            job.attachment = attachment_usable(
                found.get(job.attachment_id),
                website_id=job.site["id"],
                uploader_type="visitor",
                uploader_id=job.visitor.visitor_id,
            )
        except AppError as exc:
            job.result = exc


def _last_closed_chats(visitor_pks: list[int]) -> dict[int, int]:
    """{visitor pk: id of its last closed chat}: a retry may arrive just after a close."""
    if not visitor_pks:
        return {}
    rows = (
        Chat.objects.filter(visitor_record_id__in=visitor_pks, status=ChatStatus.CLOSED)
        .values("visitor_record_id")
        .annotate(last=Max("id"))
    )
    return {row["visitor_record_id"]: row["last"] for row in rows}


def _earlier_messages(jobs: list[MessageJob], active: dict, last_closed: dict) -> dict:
    """{(chat id, client id): message} stored before, in the chat each job would go to."""
    pairs = set()
    for job in jobs:
        chat = active.get(job.visitor.pk)
        chat_id = chat.id if chat is not None else last_closed.get(job.visitor.pk)
        if chat_id is not None:
            pairs.add((chat_id, job.client_id))
    if not pairs:
        return {}
    messages = statements.messages_with_client_ids(sorted(pairs))
    return {(m.chat_id, m.client_id): m for m in messages}


def _store(jobs: list[MessageJob], chats: dict[int, Chat], started: dict[int, Chat]) -> None:
    """Insert the jobs' messages (and the bot's replies) and update their chats."""
    agents_online: dict[int, bool] = {}
    rows: list[tuple[Chat, Message, str | None]] = []
    for job in jobs:
        chat = chats[job.visitor.pk]
        first = job.visitor.pk in started and chat.last_seq == 0
        message = next_message(
            chat,
            sender_type=SenderType.VISITOR,
            sender_id=job.visitor.visitor_id,
            content=job.content,
            client_id=job.client_id,
            attachment=job.attachment,
        )
        rows.append((chat, message, job.exclude))
        for reply in bot.replies(chat, site=job.site, content=job.content, first=first, online=agents_online):
            said = next_message(chat, sender_type=SenderType.BOT, sender_id="bot", content=reply)
            rows.append((chat, said, None))
        job.result = Posted(message, created=True)
    if not rows:
        return
    statements.insert_messages([message for _, message, _ in rows])
    touched = {}
    for chat, message, _ in rows:
        chat_took(chat, message)
        touched[chat.id] = chat
    statements.save_chat_summaries(list(touched.values()))

    messages_stored(
        [
            (chat, message, exclude, chat.visitor_record_id in started and message.seq == 1)
            for chat, message, exclude in rows
        ]
    )
