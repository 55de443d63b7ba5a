from django.apps import AppConfig


class ChatellyConfig(AppConfig):
    name = "chatelly"

    def ready(self) -> None:
        from . import jobs, stock_middleware  # noqa: F401  (the Celery app; a deploy check)
