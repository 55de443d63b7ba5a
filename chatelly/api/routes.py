"""Routes that answer with and without a trailing slash, never redirecting."""

from django.urls import path


def both(route: str, view, name: str | None = None) -> list:
    """`route` (no trailing slash) and `route/`; only the first is named."""
    route = route.rstrip("/")
    return [path(route, view, name=name), path(f"{route}/", view)]
