"""Exact pre-aggregated counts for the dashboard, on PostgreSQL.

A bucket is *sealed* once it ended more than `SEAL_DELAY` ago: every chat and
message in it has committed by then (they commit within a second of getting
their timestamp), so its counts can no longer change, except by deletion,
which calls `forget()`. Buckets are built lazily, under a row lock so that two
requests never add the same rows twice. Figures = sealed buckets + a direct
count of the unsealed tail, so they always equal a direct count.
"""

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from chatelly.db import on_postgres

from .models import DailyVisitors, Rollup, RollupState

BUCKET = timedelta(minutes=15)
SEAL_DELAY = timedelta(minutes=15)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def enabled() -> bool:
    return on_postgres()


def seal_point(now: datetime | None = None) -> datetime:
    """The start of the first unsealed bucket."""
    limit = (now or timezone.now()) - SEAL_DELAY
    return _EPOCH + ((limit - _EPOCH) // BUCKET) * BUCKET


_BUILD = """
INSERT INTO analytics_rollup (website_id, bucket, chats, visitor_messages, agent_messages, bot_messages,
                              system_messages)
SELECT %(w)s, bucket, sum(chats), sum(visitor), sum(agent), sum(bot), sum(system) FROM (
    SELECT date_bin('15 minutes', started_at, %(epoch)s) AS bucket, count(*) AS chats,
           0 AS visitor, 0 AS agent, 0 AS bot, 0 AS system
    FROM chats WHERE website_id = %(w)s AND started_at >= %(since)s AND started_at < %(until)s
    GROUP BY 1
    UNION ALL
    SELECT date_bin('15 minutes', created_at, %(epoch)s), 0,
           count(*) FILTER (WHERE sender_type = 'visitor'), count(*) FILTER (WHERE sender_type = 'agent'),
           count(*) FILTER (WHERE sender_type = 'bot'), count(*) FILTER (WHERE sender_type = 'system')
    FROM messages WHERE website_id = %(w)s AND created_at >= %(since)s AND created_at < %(until)s
    GROUP BY 1
) counted GROUP BY bucket
"""


def ensure_built(website_ids: list[int], now: datetime | None = None) -> datetime:
    """Build every sealed bucket not built yet; the seal point used."""
    sealed = seal_point(now)
    for website_id in website_ids:
        _build(website_id, sealed)
    return sealed


def _build(website_id: int, sealed: datetime) -> None:
    with transaction.atomic():
        RollupState.objects.get_or_create(website_id=website_id)
        state = RollupState.objects.select_for_update().get(website_id=website_id)
        if state.built_until is not None and state.built_until >= sealed:
            return
        since = state.built_until or datetime(1970, 1, 1, tzinfo=UTC)
        with connection.cursor() as cursor:
            cursor.execute(_BUILD, {"w": website_id, "epoch": _EPOCH, "since": since, "until": sealed})
        state.built_until = sealed
        state.save(update_fields=["built_until"])


def forget(*, website_id: int) -> None:
    """Chats or messages of this website were deleted: rebuild its buckets from scratch."""
    if not enabled():
        return
    Rollup.objects.filter(website_id=website_id).delete()
    DailyVisitors.objects.filter(website_id=website_id).delete()
    RollupState.objects.filter(website_id=website_id).update(built_until=None)
