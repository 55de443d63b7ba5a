"""Deleting data on purpose: retention (purge) and GDPR erasure, and the GDPR export.

Each returns what it removed (or, with dry_run, would remove). Files leave
storage after the rows are gone (on commit: chat/signals.py), and the affected
websites' analytics rollups are rebuilt so the dashboard stays exact.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from analytics import rollups
from analytics.models import Event
from chat.models import Attachment, Chat, Message, Visitor
from chat.serializers import attachment_to_dict, chat_to_dict, iso, message_to_dict, visitor_to_dict
from mail import selectors as mail_selectors
from mail import services as mail_services


def _attachments_of_chats(chat_ids: Iterable[int]) -> Q:
    used = Message.objects.filter(chat_id__in=chat_ids, attachment__isnull=False).values("attachment_id")
    return Q(id__in=used)


@transaction.atomic
def data_purge(*, older_than: datetime, dry_run: bool = False) -> dict:
    """Remove chats whose last activity, events and files older than the cut-off."""
    old_chats = Chat.objects.filter(
        Q(last_message_at__lt=older_than) | Q(last_message_at__isnull=True, started_at__lt=older_than)
    )
    chat_ids = list(old_chats.values_list("id", flat=True))
    attachments = Attachment.objects.filter(_attachments_of_chats(chat_ids) | Q(created_at__lt=older_than))
    events = Event.objects.filter(created_at__lt=older_than)
    websites = set(old_chats.values_list("website_id", flat=True)) | set(
        events.values_list("website_id", flat=True)
    )
    counts = {
        "chats": len(chat_ids),
        "messages": Message.objects.filter(chat_id__in=chat_ids).count(),
        "events": events.count(),
        "files": attachments.count(),
    }
    idle_visitors = Visitor.objects.filter(last_seen__lt=older_than).exclude(
        chats__in=Chat.objects.exclude(id__in=chat_ids)
    )
    counts["visitors"] = idle_visitors.count()
    counts["emails"] = mail_services.deliveries_purge(older_than=older_than, dry_run=True)
    if dry_run:
        return counts
    mail_services.deliveries_purge(older_than=older_than)
    attachments.delete()
    Chat.objects.filter(id__in=chat_ids).delete()
    events.delete()
    Visitor.objects.filter(id__in=list(idle_visitors.values_list("id", flat=True))).delete()
    for website_id in websites:
        rollups.forget(website_id=website_id)
    return counts


@transaction.atomic
def unused_uploads_purge(*, older_than: datetime, dry_run: bool = False) -> int:
    """Remove uploads made before the cut-off that no message shows (rows and files)."""
    shown = Message.objects.filter(attachment_id=OuterRef("pk"))
    unused = Attachment.objects.filter(created_at__lt=older_than).exclude(Exists(shown))
    if dry_run:
        return unused.count()
    # Rows locked in id order, then deleted: an upload attached meanwhile is kept.
    ids = list(unused.order_by("id").select_for_update(skip_locked=True).values_list("id", flat=True))
    deleted = Attachment.objects.filter(id__in=ids).exclude(Exists(shown)).delete()[1]
    return deleted.get(Attachment._meta.label, 0)


@transaction.atomic
def visitor_erase(*, website_id: int, visitor_id: str, dry_run: bool = False) -> dict | None:
    """Everything about one visitor: profile, chats (all their messages), files,
    events, the emails sent to them."""
    visitor = Visitor.objects.filter(website_id=website_id, visitor_id=visitor_id).first()
    if visitor is None:
        return None
    chat_ids = list(Chat.objects.filter(visitor_record=visitor).values_list("id", flat=True))
    attachments = Attachment.objects.filter(
        _attachments_of_chats(chat_ids)
        | Q(website_id=website_id, uploader_type="visitor", uploader_id=visitor_id)
    )
    events = Event.objects.filter(website_id=website_id, visitor_id=visitor_id)
    counts = {
        "visitors": 1,
        "chats": len(chat_ids),
        "messages": Message.objects.filter(chat_id__in=chat_ids).count(),
        "events": events.count(),
        "files": attachments.count(),
        "emails": _emails_of(visitor, dry_run=True),
    }
    if dry_run:
        return counts
    _emails_of(visitor)
    attachments.delete()
    events.delete()
    visitor.delete()  # its chats and their messages cascade
    rollups.forget(website_id=website_id)
    return counts


def _emails_of(visitor: Visitor, *, dry_run: bool = False) -> int:
    if not visitor.email:
        return 0
    return mail_services.deliveries_forget(
        email=visitor.email, website_id=visitor.website_id, dry_run=dry_run
    )


def visitor_export(*, website_id: int, visitor_id: str) -> dict | None:
    """What Chatelly holds about one visitor, as JSON-ready data."""
    visitor = Visitor.objects.filter(website_id=website_id, visitor_id=visitor_id).first()
    if visitor is None:
        return None
    chats = (
        Chat.objects.filter(visitor_record=visitor)
        .select_related("visitor_record", "last_message")
        .order_by("id")
    )
    uploads = Attachment.objects.filter(
        website_id=website_id, uploader_type="visitor", uploader_id=visitor_id
    )
    return {
        "visitor": {**visitor_to_dict(visitor), "website_id": website_id},
        "chats": [
            {
                **chat_to_dict(chat),
                "messages": [
                    message_to_dict(m)
                    for m in Message.objects.filter(chat=chat).select_related("attachment").order_by("seq")
                ],
            }
            for chat in chats
        ],
        "uploads": [attachment_to_dict(a) for a in uploads],
        "emails": mail_selectors.deliveries_to(email=visitor.email, website_id=website_id)
        if visitor.email
        else [],
        "events": [
            {
                "type": e.event_type,
                "data": e.event_data,
                "session_id": e.session_id,
                "created_at": iso(e.created_at),
            }
            for e in Event.objects.filter(website_id=website_id, visitor_id=visitor_id).order_by("created_at")
        ],
    }
