"""Middleware that runs in the ASGI handler's own mode.

A sync-only middleware makes Django hop to a thread and back for every request
that passes it (under ASGI each hop is a new thread per request), so the outer
middleware here take both modes: REST requests then cross to a thread once, for
the view, instead of three times.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from whitenoise.middleware import WhiteNoiseMiddleware


class InHandlersMode:
    """Runs sync or async, as the handler inside it does; `sync_call` is the sync body."""

    sync_capable = True
    async_capable = True

    def take_mode(self, get_response) -> None:
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        return self.sync_call(request)


class BothModes(InHandlersMode):
    """Base for a middleware with `before(request)` and `after(request, response, state)`."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.take_mode(get_response)

    def sync_call(self, request):
        state = self.before(request)
        return self.after(request, self.get_response(request), state)

    async def __acall__(self, request):
        state = self.before(request)
        return self.after(request, await self.get_response(request), state)

    def before(self, request):
        return None

    def after(self, request, response, state):
        return response


class StaticFilesMiddleware(InHandlersMode, WhiteNoiseMiddleware):
    """WhiteNoise, without a thread hop for the requests that are not for static files."""

    def __init__(self, get_response=None, *args, **kwargs):
        super().__init__(get_response, *args, **kwargs)
        self.take_mode(get_response)

    def sync_call(self, request):
        return WhiteNoiseMiddleware.__call__(self, request)

    async def __acall__(self, request):
        path = request.path_info
        static_file = self.find_file(path) if self.autorefresh else self.files.get(path)
        if static_file is not None:
            return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        return await self.get_response(request)


class InlineHooks(InHandlersMode):
    """Mixin for a Django `MiddlewareMixin` middleware whose hooks do no I/O.

    In async mode Django's MiddlewareMixin runs process_request and
    process_response each through `sync_to_async` (and the handler does the same
    for process_view): Django's seven stock middleware cost a dozen thread hops
    per request. Hooks that only read headers and set attributes run inline here;
    `response_needs_thread` and `view_needs_thread` name the cases that touch the
    database (a session or messages to save, a form body to parse)."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.take_mode(get_response)
        if self.is_async and hasattr(self, "process_view"):
            # An instance attribute: the handler collects `process_view` after
            # __init__ and leaves a coroutine function unwrapped.
            self.process_view = self._async_process_view

    def sync_call(self, request):
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or self.get_response(request)
        if hasattr(self, "process_response"):
            response = self.process_response(request, response)
        return response

    async def __acall__(self, request):
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            if self.response_needs_thread(request):
                return await sync_to_async(self.process_response)(request, response)
            response = self.process_response(request, response)
        return response

    async def _async_process_view(self, request, callback, args, kwargs):
        hook = type(self).process_view.__get__(self)
        if self.view_needs_thread(request, callback):
            return await sync_to_async(hook)(request, callback, args, kwargs)
        return hook(request, callback, args, kwargs)

    def response_needs_thread(self, request) -> bool:
        return False

    def view_needs_thread(self, request, callback) -> bool:
        return False
