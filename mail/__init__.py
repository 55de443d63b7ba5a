"""Outgoing email: one delivery row per message, sent by a retrying job."""
