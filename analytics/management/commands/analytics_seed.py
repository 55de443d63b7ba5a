"""Generate a large analytics data set for the benchmark (PostgreSQL: generate_series)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts import services as account_services
from accounts.selectors import user_get_by_email
from chatelly.db import on_postgres
from websites.models import Website

OWNER = "bench@chatelly.local"


class Command(BaseCommand):
    help = (
        "Create a 'Benchmark' website with N chats (one visitor each), M messages spread over them and E "
        "events, all over the last 365 days. PostgreSQL only. Prints the website id."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chats", type=int, default=100_000)
        parser.add_argument("--messages-per-chat", type=int, default=10)
        parser.add_argument("--events", type=int, default=1_000_000)
        parser.add_argument("--fresh", action="store_true", help="delete an earlier benchmark website first")

    def handle(self, *args, chats, messages_per_chat, events, fresh, **options):
        if not on_postgres():
            raise CommandError("analytics_seed needs PostgreSQL (set DATABASE_URL).")
        owner = user_get_by_email(email=OWNER) or account_services.user_create(
            email=OWNER, password="bench-Not-for-login-1", name="Benchmark"
        )
        owner.plan = "business"
        owner.save(update_fields=["plan"])
        if fresh:
            Website.objects.filter(user=owner, name="Benchmark").delete()
        website = Website.objects.filter(user=owner, name="Benchmark").first()
        if website is None:
            from websites.services import website_create

            website = website_create(owner=owner, name="Benchmark", domain="bench.example.com")
        params = {"w": website.id, "chats": chats, "per_chat": messages_per_chat, "events": events}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO chat_visitor (website_id, visitor_id, name, email, page_url, page_title, user_agent,
                                          session_id, first_seen, last_seen)
                SELECT %(w)s, 'v_bench_' || g, '', '', '', '', 'bench', 's_bench_' || g, now(), now()
                FROM generate_series(1, %(chats)s) g
                """,
                params,
            )
            cursor.execute(
                """
                INSERT INTO chats (website_id, session_id, visitor_id, visitor_record_id, status, started_at,
                                   ended_at, last_seq, message_count, last_message_at, first_visitor_message_at,
                                   first_response_at)
                SELECT v.website_id, v.session_id, v.visitor_id, v.id,
                       CASE WHEN v.id %% 20 = 0 THEN 'active' ELSE 'closed' END,
                       t.started,
                       CASE WHEN v.id %% 20 = 0 THEN NULL ELSE t.started + random() * interval '1 hour' END,
                       %(per_chat)s, %(per_chat)s, t.started + %(per_chat)s * interval '20 seconds', t.started,
                       CASE WHEN v.id %% 5 = 0 THEN NULL
                            ELSE t.started + (5 + random() * 300) * interval '1 second' END
                FROM chat_visitor v
                CROSS JOIN LATERAL (SELECT now() - random() * interval '365 days' + v.id * interval '0') t(started)
                WHERE v.website_id = %(w)s AND v.user_agent = 'bench'
                """,
                params,
            )
            cursor.execute(
                """
                INSERT INTO messages (chat_id, website_id, seq, content, type, sender_type, sender_id,
                                      is_from_bot, created_at)
                SELECT c.id, c.website_id, s, 'benchmark message', 'text',
                       CASE WHEN s = 2 THEN 'bot' WHEN s %% 2 = 1 THEN 'visitor' ELSE 'agent' END,
                       'bench', s = 2, c.started_at + s * interval '20 seconds'
                FROM chats c CROSS JOIN generate_series(1, %(per_chat)s) s
                WHERE c.website_id = %(w)s
                """,
                params,
            )
            cursor.execute(
                """
                INSERT INTO analytics (website_id, event_type, event_data, visitor_id, session_id, created_at)
                SELECT %(w)s, (ARRAY['widget_loaded', 'page_view', 'message_sent'])[1 + g %% 3], '{}',
                       'v_bench_' || (1 + g %% %(chats)s), 's', now() - random() * interval '365 days'
                FROM generate_series(1, %(events)s) g
                """,
                params,
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE chat_visitor, chats, messages, analytics")
        self.stdout.write(str(website.id))
