"""JSON answers for errors raised outside DRF views (Django's 404, 500, 403, 400)."""

from django.http import JsonResponse

from .errors import error_body


def _json(status: int, error: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(error, message, status), status=status)


def not_found(request, exception=None):
    return _json(404, "not_found", "Not found.")


def server_error(request):
    return _json(500, "server_error", "Something went wrong on our side.")


def permission_denied(request, exception=None):
    return _json(403, "permission_denied", "You may not do this.")


def bad_request(request, exception=None):
    return _json(400, "validation_error", "The request is invalid.")


def get_only(view):
    """Like require_GET, but a wrong method gets the API's JSON 405 (its error shape)."""

    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = _json(405, "method_not_allowed", f'Method "{request.method}" not allowed.')
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped
