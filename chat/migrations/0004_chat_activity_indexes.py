"""The inbox order, newest activity first: COALESCE(last_message_at, started_at) DESC,
id DESC, per website. It replaces chat_latest, which served the older order
(last_message_at only), so a stored message updates as many indexes as before.

The new index is built before the old one goes. Plain CREATE INDEX: the chats
table has one row per conversation, small next to messages."""

from django.db import migrations, models
from django.db.models.functions import Coalesce


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0003_attachment_quota_indexes"),
        ("websites", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="chat",
            index=models.Index(
                models.F("website"),
                models.OrderBy(Coalesce("last_message_at", "started_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="chat_activity",
            ),
        ),
        migrations.RemoveIndex(model_name="chat", name="chat_latest"),
    ]
