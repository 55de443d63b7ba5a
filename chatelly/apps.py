from django.apps import AppConfig


class ChatellyConfig(AppConfig):
    name = "chatelly"

    def ready(self) -> None:
        from . import stock_middleware  # noqa: F401  (registers its deploy check)
