"""Reads of the email rows (the GDPR export)."""

from typing import Any

from .models import EmailDelivery


def deliveries_to(*, email: str, website_id: int) -> list[dict[str, Any]]:
    """What one website emailed one address: kind, subject, status, when."""
    rows = EmailDelivery.objects.filter(website_id=website_id, to__iexact=email.strip()).order_by(
        "created_at"
    )
    return [
        {
            "kind": row.kind,
            "subject": row.subject,
            "status": row.status,
            "created_at": row.created_at.isoformat(),
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        }
        for row in rows
    ]
