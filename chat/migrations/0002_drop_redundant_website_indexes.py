"""Drop the website foreign keys' own indexes on visitors and chats: an index that
starts with the website serves each of them (visitor_unique_per_website; the
chat indexes), and with stale statistics the planner took the single-column
index for a returning visitor's UPDATE, scanning all the site's visitors.

Only the indexes go (Django's AlterField would also drop and re-validate the
foreign keys, scanning both tables under lock)."""

from django.db import migrations, models

DROPS = [
    ("chats", "chats_website_id_7ebf057c"),
    ("chat_visitor", "chat_visitor_website_id_df188c88"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0001_initial"),
        ("websites", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="chat",
                    name="website",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="chats",
                        to="websites.website",
                    ),
                ),
                migrations.AlterField(
                    model_name="visitor",
                    name="website",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="visitors",
                        to="websites.website",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("website_id")',
                )
                for table, index in DROPS
            ],
        ),
    ]
