"""Chat endpoints (API.md: Chats). Thin: parse, call a service or selector, answer."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from chatelly.api.errors import ChatClosed
from chatelly.api.fields import NOT_BLANK
from chatelly.api.pagination import PAGE_PARAMETERS, PageNumberPagination
from chatelly.api.params import choice_param, text_param
from chatelly.api.parsers import JSONParser
from chatelly.api.schema import errors, paginated
from chatelly.api.validation import valid_data
from websites.selectors import website_get_for_user

from . import selectors, services
from .errors import ChatError
from .message_page import MAX_SEQ, page_params, with_fast_get
from .messaging import MAX_CLIENT_ID
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
    attachment_to_dict,
    chat_to_dict,
    message_to_dict,
)
from .tickets import TICKET_SECONDS, ticket_issue
from .upload_quotas import upload_store
from .upload_views import refuse_oversize_body, upload_error

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


def api_error(exc: ChatError) -> Exception:
    """A service's ChatError as the API's error."""
    if exc.code == "chat_closed":
        return ChatClosed()
    if exc.code == "not_found" and exc.field in (None, "chat_id"):
        return NotFound()
    return ValidationError({exc.field or "non_field_errors": exc.message})


def _change_then_show(request, chat_id, service, **kwargs) -> Response:
    """Run a chat service as the caller, then answer the chat as it is now."""
    try:
        service(user=request.user, chat_id=chat_id, **kwargs)
    except ChatError as exc:
        raise api_error(exc) from exc
    return Response(chat_to_dict(selectors.chat_get_for_user(user=request.user, chat_id=chat_id)))


class ChatListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["chats"],
        summary="A website's chats, latest message first",
        operation_id="websites_chats_list",
        parameters=[
            OpenApiParameter("status", str, enum=["active", "closed"]),
            OpenApiParameter("visitor_id", NO_NUL),
            OpenApiParameter(
                "search",
                NO_NUL,
                description="Text in messages, visitor name or email (the first 200 characters)",
            ),
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated(ChatSchema, "Chat"), **errors(400, 401, 404)},
    )
    def get(self, request, website_id):
        website = website_get_for_user(user=request.user, website_id=website_id)
        query = request.query_params
        status_filter = choice_param(query, "status", ("active", "closed"), empty_is_absent=False)
        visitor_id = text_param(query, "visitor_id")
        search = (text_param(query, "search") or "").strip()[:200]
        chats = selectors.chat_list_for_website(
            website=website, status=status_filter, visitor_id=visitor_id, search=search or None
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(chats, request, view=self)
        return paginator.get_paginated_response([chat_to_dict(chat) for chat in page])


class ChatDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(tags=["chats"], summary="One chat", responses={200: ChatSchema, **errors(401, 404)})
    def get(self, request, chat_id):
        return Response(chat_to_dict(selectors.chat_get_for_user(user=request.user, chat_id=chat_id)))


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
        try:
            posted = services.agent_message_post(user=request.user, chat_id=chat_id, **data)
        except ChatError as exc:
            raise api_error(exc) from exc
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
        try:
            attachment = upload_store(
                website_id=website.id,
                uploader_type="agent",
                uploader_id=str(request.user.id),
                upload=request.FILES.get("file"),
            )
        except ChatError as exc:
            raise upload_error(exc) from exc
        return Response(attachment_to_dict(attachment), status=status.HTTP_201_CREATED)
