"""The load-test tool: `manage.py loadtest` drives a running Chatelly over its public HTTP and
WebSocket API; `manage.py benchmark_report` runs it against fresh servers (docs/benchmarks.md)."""
