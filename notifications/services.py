"""notifications: services (filled by issue 19's work)."""
