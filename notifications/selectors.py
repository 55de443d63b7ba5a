"""notifications: selectors (filled by issue 19's work)."""
