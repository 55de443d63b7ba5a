"""Views that report which thread served them, for test_asgi_handler."""

import threading

from django.http import HttpResponse
from django.urls import path

from chatelly.asgi_handler import close_on_loop

# Set by a test: sync views wait on it, so that requests overlap.
gate = threading.Event()


def sync_view(request):
    return HttpResponse(str(threading.get_ident()))


def waiting_sync_view(request):
    gate.wait(timeout=10)
    return HttpResponse(str(threading.get_ident()))


async def loop_view(request):
    return close_on_loop(HttpResponse(str(threading.get_ident())))


async def plain_async_view(request):
    return HttpResponse(str(threading.get_ident()))


urlpatterns = [
    path("sync", sync_view),
    path("waiting", waiting_sync_view),
    path("loop", loop_view),
    path("async", plain_async_view),
]
