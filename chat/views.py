"""Chat endpoints (the OpenAPI schema's chats tag). Thin: parse, call a service or selector, answer."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from chatelly.api.fields import NOT_BLANK
from chatelly.api.pagination import PAGE_PARAMETERS, PageNumberPagination
from chatelly.api.params import choice_param, int_param, text_param
from chatelly.api.parsers import JSONParser
from chatelly.api.schema import errors, paginated
from chatelly.api.validation import valid_data
from websites.selectors import website_get_for_user, website_ids_for_user

from . import selectors, services
from .message_page import MAX_SEQ, page_params, with_fast_get
from .serializers import (
    AgentMessageInput,
    AgentUploadSchema,
    AssignInput,
    AttachmentSchema,
    ChatSchema,
    MessagePageSchema,
    MessageSchema,
    TicketSchema,
    UploadWebsiteInput,
    VisitorPanelSchema,
    attachment_to_dict,
    chat_to_dict,
    message_to_dict,
    visitor_panel_to_dict,
)
from .services import upload_store
from .services.messages import MAX_CLIENT_ID
from .sockets.tickets import TICKET_SECONDS, ticket_issue
from .upload_views import refuse_oversize_body

NO_NUL = {"type": "string", "pattern": "^[^\\x00]*$"}  # PostgreSQL compares no U+0000: a 400


@extend_schema_field({"type": "string", "minLength": 1, "pattern": NOT_BLANK})
class _ContentSchema(serializers.CharField):
    pass


class AgentMessageRequest(serializers.Serializer):
    """AgentMessageInput as the service checks it (schema only): content not blank
    (it may be blank with an attachment, which JSON Schema cannot say)."""

    content = _ContentSchema(max_length=settings.CHATELLY_MAX_MESSAGE_CHARS)
    client_id = serializers.CharField(
        min_length=1,
        max_length=MAX_CLIENT_ID,
        required=False,
        help_text="A repeat answers 200 and the first message.",
    )
    attachment_id = serializers.IntegerField(
        min_value=1, required=False, help_text="An upload of this agent (POST /api/v1/uploads)."
    )


def _change_then_show(request, chat_id, service, **kwargs) -> Response:
    """Run a chat service as the caller, then answer the chat as it is now."""
    service(user=request.user, chat_id=chat_id, **kwargs)
    return Response(chat_to_dict(selectors.chat_get_for_user(user=request.user, chat_id=chat_id)))


MAX_ID = 2**63 - 1  # ids are bigint
CHAT_PAGE = paginated(ChatSchema, "Chat")  # one component for both lists

_LIST_FILTERS = [
    OpenApiParameter("status", str, enum=["active", "closed"]),
    OpenApiParameter(
        "assigned",
        {
            "oneOf": [
                {"type": "string", "enum": ["me", "none"]},
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            ]
        },
        description="`me` (the caller), `none` (unassigned) or a user id",
    ),
    OpenApiParameter("visitor_id", NO_NUL),
    OpenApiParameter(
        "unread",
        str,
        enum=["true", "false"],
        description="`true`: only chats with a visitor message no agent has read; `false`: only those without",
    ),
    OpenApiParameter(
        "search",
        NO_NUL,
        description="Text in messages, visitor name or email (the first 200 characters)",
    ),
    *PAGE_PARAMETERS,
]


def _assigned_param(query, user) -> int | str | None:
    raw = query.get("assigned")
    if raw == "me":
        return user.id
    if raw == "none":
        return selectors.UNASSIGNED
    try:
        return int_param(query, "assigned", None, minimum=1, maximum=MAX_ID)
    except ValidationError:
        raise ValidationError({"assigned": 'One of "me", "none" or a user id.'}) from None


def _unread_param(query) -> bool | None:
    unread = choice_param(query, "unread", ("true", "false"), empty_is_absent=False)
    return None if unread is None else unread == "true"


def _chat_page(request, view, *, website_ids: list[int]) -> Response:
    """A page of these websites' chats, filtered by the query as _LIST_FILTERS say."""
    query = request.query_params
    chats = selectors.chat_list(
        website_ids=website_ids,
        status=choice_param(query, "status", ("active", "closed"), empty_is_absent=False),
        assigned=_assigned_param(query, request.user),
        visitor_id=text_param(query, "visitor_id"),
        unread=_unread_param(query),
        search=(text_param(query, "search") or "").strip()[:200] or None,
    )
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(chats, request, view=view)
    return paginator.get_paginated_response([chat_to_dict(chat) for chat in page])


class ChatListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["chats"],
        summary="A website's chats, newest activity first",
        operation_id="websites_chats_list",
        parameters=_LIST_FILTERS,
        responses={200: CHAT_PAGE, **errors(400, 401, 404)},
    )
    def get(self, request, website_id):
        website = website_get_for_user(user=request.user, website_id=website_id)
        return _chat_page(request, self, website_ids=[website.id])


class InboxView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["chats"],
        summary="Chats of every website the caller is a member of, newest activity first",
        description=(
            "Newest activity first: the last message's time, else the chat's start; ties by id, "
            "newest first. `?website_id=` narrows it to one website (not a member: 404)."
        ),
        operation_id="chats_list",
        parameters=[
            OpenApiParameter(
                "website_id",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                description="Only this website's chats",
            ),
            *_LIST_FILTERS,
        ],
        responses={200: CHAT_PAGE, **errors(400, 401, 404)},
    )
    def get(self, request):
        website_id = int_param(request.query_params, "website_id", None, minimum=1, maximum=MAX_ID)
        if website_id is None:
            website_ids = website_ids_for_user(user=request.user)
        else:
            website_ids = [website_get_for_user(user=request.user, website_id=website_id).id]
        return _chat_page(request, self, website_ids=website_ids)


class ChatDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(tags=["chats"], summary="One chat", responses={200: ChatSchema, **errors(401, 404)})
    def get(self, request, chat_id):
        return Response(chat_to_dict(selectors.chat_get_for_user(user=request.user, chat_id=chat_id)))


class ChatVisitorView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["chats"],
        summary="Who the chat's visitor is: pages visited, past chats",
        description=(
            "`pages`: the visitor's last 50 page views on this website (from the widget's "
            "page_view reports), newest first. `past_chats`: the visitor's other chats on "
            "this website, newest activity first, at most 20. `location`: the country of the "
            "newest page view, when the proxy reports one (CHATELLY_COUNTRY_HEADER), else null."
        ),
        responses={200: VisitorPanelSchema, **errors(401, 404)},
    )
    def get(self, request, chat_id):
        chat = selectors.chat_get_for_user(user=request.user, chat_id=chat_id)
        visitor = chat.visitor_record
        return Response(
            visitor_panel_to_dict(
                visitor=visitor,
                pages=selectors.visitor_page_views(visitor=visitor),
                past_chats=selectors.chats_of_visitor_besides(chat=chat),
            )
        )


class ChatMessagesView(APIView):
    parser_classes = [JSONParser]

    @classmethod
    def as_view(cls, **initkwargs):
        # GET is tried on the event loop first (chat/message_page.py).
        return with_fast_get(super().as_view(**initkwargs))

    @extend_schema(
        tags=["chats"],
        summary="A chat's messages in seq order, after a seq",
        parameters=[
            OpenApiParameter(
                "after",
                {"type": "integer", "minimum": 0, "maximum": MAX_SEQ},
                description="Messages with seq greater than this (default 0)",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": -(10**9)},
                description="Default 50; clamped to 1..200",
            ),
        ],
        responses={200: MessagePageSchema, **errors(400, 401, 404)},
    )
    def get(self, request, chat_id):
        chat_id = selectors.chat_id_for_user(user=request.user, chat_id=chat_id)
        after, limit = page_params(request.query_params)
        messages = selectors.messages_after(chat_id=chat_id, after=after, limit=limit)
        return Response(
            {
                "results": [message_to_dict(m) for m in messages],
                "next_after": messages[-1].seq if len(messages) == limit else None,
            }
        )

    @extend_schema(
        tags=["chats"],
        summary="Reply as an agent; live to the visitor",
        request=AgentMessageRequest,
        responses={
            201: MessageSchema,
            200: MessageSchema,
            **errors(400, 401, 404, 409, 415, e409="chat_closed"),
        },
    )
    def post(self, request, chat_id):
        data = valid_data(AgentMessageInput, request)
        posted = services.agent_message_post(user=request.user, chat_id=chat_id, **data)
        code = status.HTTP_201_CREATED if posted.created else status.HTTP_200_OK
        return Response(message_to_dict(posted.message), status=code)


class ChatCloseView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["chats"],
        summary="Close a chat; both sides are told",
        request=None,
        responses={200: ChatSchema, **errors(401, 404)},
    )
    def post(self, request, chat_id):
        return _change_then_show(request, chat_id, services.chat_close_by_agent)


class ChatAssignView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["chats"],
        summary="Assign a chat to a member (null unassigns)",
        request=AssignInput,
        responses={200: ChatSchema, **errors(400, 401, 404, 415)},
    )
    def post(self, request, chat_id):
        data = valid_data(AssignInput, request)
        return _change_then_show(request, chat_id, services.chat_assign, assignee_id=data["user_id"])


class TicketView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["realtime"],
        summary="A one-use ticket for the agent socket, valid 30 seconds",
        request=None,
        responses={201: TicketSchema, **errors(401)},
    )
    def post(self, request):
        ticket = ticket_issue(user_id=request.user.id)
        return Response({"ticket": ticket, "expires_in": TICKET_SECONDS}, status=status.HTTP_201_CREATED)


class AgentUploadView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["chats"],
        summary="Upload a file for an agent reply's attachment_id",
        description=(
            "For a website the caller is a member of. Counts toward the per-user and "
            "per-website daily upload quotas: over one, 429 `rate_limited` with Retry-After "
            "(413 when the file alone is larger than the quota)."
        ),
        request={"multipart/form-data": AgentUploadSchema},
        responses={201: AttachmentSchema, **errors(400, 401, 404, 413, 415, 429)},
    )
    def post(self, request):
        refuse_oversize_body(request)
        website_id = valid_data(UploadWebsiteInput, request)["website_id"]
        website = website_get_for_user(user=request.user, website_id=website_id)
        attachment = upload_store(
            website_id=website.id,
            uploader_type="agent",
            uploader_id=str(request.user.id),
            upload=request.FILES.get("file"),
        )
        return Response(attachment_to_dict(attachment), status=status.HTTP_201_CREATED)
