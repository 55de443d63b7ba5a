from django.apps import AppConfig


class LoadtestConfig(AppConfig):
    """The load-test tool: `manage.py loadtest` and `manage.py benchmark_report` (docs/benchmarks.md)."""

    name = "loadtest"
