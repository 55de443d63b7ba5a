"""Page-number pagination as the OpenAPI schema says: ?page=, ?page_size= (20, at most 100).

DRF's own parsing let `?page=1e400` reach `int(float(...))` (OverflowError, a
500) and silently ignored a malformed `?page_size=`; here either is a 400
naming the parameter. A page past the last one stays DRF's 404.
"""

from drf_spectacular.utils import OpenApiParameter
from rest_framework import pagination

from .params import int_param

MAX_PAGE = 10**9  # more pages than any list can have at page_size 1 and still an int4 offset


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()

    def paginate_queryset(self, queryset, request, view=None):
        # Checked before the count query: a bad parameter costs no SQL.
        int_param(request.query_params, self.page_query_param, 1, minimum=1, maximum=MAX_PAGE)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        size = int_param(request.query_params, self.page_size_query_param, self.page_size, minimum=1)
        return min(size, self.max_page_size)


# For APIViews (drf-spectacular reads pagination only from generic views).
PAGE_PARAMETERS = [
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        description="A page number (default 1); past the last page: 404.",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1},
        description="Results per page (default 20; more than 100 is taken as 100).",
    ),
]
