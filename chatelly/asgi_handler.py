"""Django's ASGI handler, minus the thread starts it made for every request.

Django runs each request inside a `ThreadSensitiveContext`: its sync code (a
DRF view, the ORM, closing the response) runs on one thread of its own. Made
per request, that thread cost two thread starts on the event loop (the
worker, then a thread to join it) and a join: a fifth of the event loop's
time on the messages page, which needs no thread but to close the response.

- A request borrows a single-thread executor from a free list and gives it
  back when it ends (asgiref's `ThreadSensitiveContext(executor=...)`). It
  still has its thread to itself: the executor goes back only once the
  handler has awaited everything the request started (a cancelled sync call
  included, which asgiref waits for), and every request ends with
  `request_finished` on that thread, whose `close_old_connections` hands the
  thread's database connections back, so the next borrower starts clean.
- A response marked by `close_on_loop` (made on the event loop, with nothing
  to close) is closed there: `request_finished` is sent on the loop thread,
  which holds no database connection (chatelly.asgi closes start-up's; if it
  ever did, the response is closed on the request's thread as before), so its
  receivers have nothing to do but reset the request's URLconf.
- `request_started`'s two sync receivers are dropped: being sync, they made
  every request, async views too, cross to a thread and back at its start,
  with nothing to do there (the borrowed thread's connections were handed
  back at the end of its last request, and queries are only logged under DEBUG).
"""

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections, connections, reset_queries
from django.http import HttpResponse
from django.urls import set_script_prefix

# Idle threads kept for the next requests; more are made under a burst and
# ended when they come back to a full list.
IDLE_THREADS = 32


def close_on_loop(response: HttpResponse) -> HttpResponse:
    """Mark a response made on the event loop, holding no file or stream, to be closed there."""
    response.close_on_loop = True
    return response


class PooledThreadsASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        self._idle: list[ThreadPoolExecutor] = []
        signals.request_started.disconnect(reset_queries)
        signals.request_started.disconnect(close_old_connections)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self._idle.pop() if self._idle else _executor()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self._give_back(executor)

    def _give_back(self, executor: ThreadPoolExecutor) -> None:
        if len(self._idle) < IDLE_THREADS:
            self._idle.append(executor)
        else:
            executor.shutdown(wait=False)

    async def handle(self, scope, receive, send):
        # Django 5.2's ASGIHandler.handle (test_asgi_handler pins its source),
        # but for the last step, `_close`.
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        await signals.request_started.asend(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return

        async def process_request(request, send):
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):  # the client left during the send
                await self.send_response(response, send)
            return response

        # Catch a disconnect while the response is made; the listener goes
        # first: it raises nothing that would keep process_request from being cancelled.
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()  # views may handle their cancellation
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            await signals.request_finished.asend(sender=self.__class__)
        else:
            await _close(response)
        body_file.close()


async def _close(response: HttpResponse) -> None:
    if getattr(response, "close_on_loop", False) and not _loop_thread_holds_a_connection():
        response.close()
    else:
        await sync_to_async(response.close)()


def _loop_thread_holds_a_connection() -> bool:
    # Closing one from the loop would be async-unsafe. None in a server (start-up's
    # are closed before it serves); a test process's main thread may keep one.
    return any(conn.connection is not None for conn in connections.all(initialized_only=True))


def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
