from django.apps import AppConfig


class ChatellyConfig(AppConfig):
    name = "chatelly"

    def ready(self) -> None:
        from . import job_metrics, jobs, stock_middleware  # noqa: F401  (the Celery app; a deploy check)

        job_metrics.register()
