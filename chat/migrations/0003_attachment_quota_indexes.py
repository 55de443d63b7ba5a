"""Indexes for the upload quotas: bytes a website, and an agent, stored over the last day.

Plain CREATE INDEX: the attachments table is small next to messages."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0002_drop_redundant_indexes"),
        ("websites", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="attachment",
            index=models.Index(fields=["website", "created_at"], name="attachment_website_created"),
        ),
        migrations.AddIndex(
            model_name="attachment",
            index=models.Index(
                condition=models.Q(("uploader_type", "agent")),
                fields=["uploader_id", "created_at"],
                name="attachment_agent_created",
            ),
        ),
    ]
