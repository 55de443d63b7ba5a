"""visitor_mail: selectors (filled by issue 19's work)."""
