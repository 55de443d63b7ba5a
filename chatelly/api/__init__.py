"""Helpers every app's API shares: errors, pagination, permissions, rate limits."""
