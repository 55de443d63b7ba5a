"""Email to visitors: replies while away, transcripts, resume links, unsubscribe."""
