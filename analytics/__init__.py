"""The event log: what visitors and agents did (`services.event_record`, queued
after commit and written in batches) and the daily rollups built from it. The
figures shown to users are computed by the reports app."""
