"""`manage.py loadtest`: drive a running Chatelly over its public HTTP and WebSocket API."""
