from django.apps import AppConfig


class ChatellyConfig(AppConfig):
    name = "chatelly"

    def ready(self) -> None:
        # The Celery app; deploy checks.
        from . import checks, job_metrics, jobs, stock_middleware  # noqa: F401

        job_metrics.register()
