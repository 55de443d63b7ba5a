"""visitor_mail: services (filled by issue 19's work)."""
