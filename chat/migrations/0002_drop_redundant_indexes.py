"""Drop three foreign keys' own indexes: an index that starts with the same column
serves each (visitors' website: visitor_unique_per_website; chats' website: the
chat indexes; messages' chat: message_seq_unique). With stale statistics the
planner took the single-column index for a returning visitor's UPDATE, scanning
all the site's visitors; and each stored message had one index more to write.

Only the indexes go (Django's AlterField would also drop and re-validate the
foreign keys, scanning the tables under lock). On PostgreSQL CONCURRENTLY, outside
a transaction, so that traffic goes on meanwhile (hence `atomic = False`)."""

from django.db import migrations, models

DROPS = [
    ("chats", "chats_website_id_7ebf057c", "website_id"),
    ("chat_visitor", "chat_visitor_website_id_df188c88", "website_id"),
    ("messages", "messages_chat_id_c921b202", "chat_id"),
]

FOREIGN_KEYS = [
    ("chat", "website", "chats", "websites.website"),
    ("visitor", "website", "visitors", "websites.website"),
    ("message", "chat", "messages", "chat.chat"),
]


def _concurrently(schema_editor) -> str:
    return " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""


def drop_indexes(apps, schema_editor):
    for _table, index, _column in DROPS:
        schema_editor.execute(f'DROP INDEX{_concurrently(schema_editor)} IF EXISTS "{index}"')


def create_indexes(apps, schema_editor):
    for table, index, column in DROPS:
        schema_editor.execute(
            f'CREATE INDEX{_concurrently(schema_editor)} IF NOT EXISTS "{index}" ON "{table}" ("{column}")'
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("chat", "0001_initial"),
        ("websites", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name=name,
                    field=models.ForeignKey(
                        db_index=False, on_delete=models.deletion.CASCADE, related_name=related, to=to
                    ),
                )
                for model, name, related, to in FOREIGN_KEYS
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
    ]
