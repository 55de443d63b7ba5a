"""Website, member and invitation endpoints (the OpenAPI schema's websites,
members and invitations tags). Thin: parse, call a service, answer."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from chatelly.api.pagination import PAGE_PARAMETERS, PageNumberPagination
from chatelly.api.parsers import JSONParser
from chatelly.api.ratelimit import enforce_rate
from chatelly.api.schema import AutoSchema, errors, paginated
from chatelly.api.validation import valid_data

from . import selectors, services
from .models import Invitation, Role
from .serializers import (
    AcceptedMemberSerializer,
    InvitationAcceptInput,
    InvitationCreatedOutput,
    InvitationSerializer,
    MemberAddInput,
    MemberRoleInput,
    MemberSerializer,
    WebsiteInput,
    WebsiteSerializer,
)

PAGE = PAGE_PARAMETERS


def _paginated(view, request, queryset, serializer_class):
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class WebsiteListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["websites"],
        summary="The caller's websites",
        operation_id="websites_list",
        parameters=PAGE,
        responses={200: paginated(WebsiteSerializer, "Website"), **errors(400, 401, 404)},
    )
    def get(self, request):
        return _paginated(
            self, request, selectors.website_list_for_user(user=request.user), WebsiteSerializer
        )

    @extend_schema(
        tags=["websites"],
        summary="Add a website; the caller becomes its owner",
        request=WebsiteInput,
        responses={201: WebsiteSerializer, **errors(400, 401, 403, 415, e403="plan_limit")},
    )
    def post(self, request):
        data = valid_data(WebsiteInput, request)
        website = services.website_create(owner=request.user, **data)
        return Response(WebsiteSerializer(website).data, status=status.HTTP_201_CREATED)


class WebsiteDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["websites"], summary="One website", responses={200: WebsiteSerializer, **errors(401, 404)}
    )
    def get(self, request, website_id):
        return Response(
            WebsiteSerializer(selectors.website_get_for_user(user=request.user, website_id=website_id)).data
        )

    @extend_schema(
        tags=["websites"],
        summary="Replace a website's fields (owner, admin)",
        request=WebsiteInput,
        responses={200: WebsiteSerializer, **errors(400, 401, 403, 404, 415)},
    )
    def put(self, request, website_id):
        return self._update(request, website_id, partial=False)

    @extend_schema(
        tags=["websites"],
        summary="Change some of a website's fields (owner, admin)",
        request=WebsiteInput(partial=True),
        responses={200: WebsiteSerializer, **errors(400, 401, 403, 404, 415)},
    )
    def patch(self, request, website_id):
        return self._update(request, website_id, partial=True)

    def _update(self, request, website_id, *, partial):
        website = selectors.website_get_for_user(
            user=request.user, website_id=website_id, min_role=Role.ADMIN
        )
        data = valid_data(WebsiteInput, request, partial=partial)
        website = services.website_update(website=website, **data)
        return Response(WebsiteSerializer(website).data)

    @extend_schema(
        tags=["websites"],
        summary="Delete a website and everything in it (owner)",
        responses={204: None, **errors(401, 403, 404)},
    )
    def delete(self, request, website_id):
        website = selectors.website_get_for_user(
            user=request.user, website_id=website_id, min_role=Role.OWNER
        )
        services.website_delete(website=website)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebsiteRotateKeyView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["websites"],
        summary="Give the website a new widget key; the old one stops working at once",
        request=None,
        responses={200: WebsiteSerializer, **errors(401, 403, 404)},
    )
    def post(self, request, website_id):
        website = selectors.website_get_for_user(
            user=request.user, website_id=website_id, min_role=Role.ADMIN
        )
        return Response(WebsiteSerializer(services.website_rotate_key(website=website)).data)


class MemberListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["members"],
        summary="The website's members",
        operation_id="websites_members_list",
        parameters=PAGE,
        responses={200: paginated(MemberSerializer, "Member"), **errors(400, 401, 404)},
    )
    def get(self, request, website_id):
        website = selectors.website_get_for_user(user=request.user, website_id=website_id)
        return _paginated(self, request, selectors.member_list(website=website), MemberSerializer)

    @extend_schema(
        tags=["members"],
        summary="Add a member by email, or invite an email with no account (owner, admin)",
        description=(
            "An account's email: 201 Member. An email with no account: 202 with the "
            "invitation, and an email with the link "
            "`{CHATELLY_PUBLIC_URL}/app/#/accept-invitation?token=<token>` (valid "
            "CHATELLY_INVITATION_DAYS). Already a member, or an open invitation for the "
            "email: 409. Invitations sent are limited per user (CHATELLY_RATE_INVITATIONS)."
        ),
        request=MemberAddInput,
        responses={
            201: MemberSerializer,
            202: InvitationCreatedOutput,
            **errors(400, 401, 403, 404, 409, 415, 429),
        },
    )
    def post(self, request, website_id):
        website = selectors.website_get_for_user(
            user=request.user, website_id=website_id, min_role=Role.ADMIN
        )
        data = valid_data(MemberAddInput, request)
        added = services.member_add_or_invite(
            website=website,
            invited_by=request.user,
            before_invite=lambda: _limit_invitations(request),
            **data,
        )
        if isinstance(added, Invitation):
            body = {"invitation": InvitationSerializer(added).data}
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return Response(MemberSerializer(added).data, status=status.HTTP_201_CREATED)


class MemberDetailView(APIView):
    parser_classes = [JSONParser]
    schema = AutoSchema()

    @extend_schema(
        tags=["members"],
        summary="Change a member's role (owner, admin)",
        # Not "Patched...": role is required even though the method is PATCH.
        request={
            "application/json": {
                "type": "object",
                "properties": {"role": {"type": "string", "enum": [Role.ADMIN, Role.AGENT]}},
                "required": ["role"],
            }
        },
        responses={200: MemberSerializer, **errors(400, 401, 403, 404, 409, 415)},
    )
    def patch(self, request, website_id, user_id):
        website = selectors.website_get_for_user(
            user=request.user, website_id=website_id, min_role=Role.ADMIN
        )
        membership = selectors.member_get(website=website, user_id=user_id)
        data = valid_data(MemberRoleInput, request)
        return Response(MemberSerializer(services.member_set_role(membership=membership, **data)).data)

    @extend_schema(
        tags=["members"],
        summary="Remove a member (owner, admin); their agent sockets close",
        responses={204: None, **errors(401, 403, 404, 409)},
    )
    def delete(self, request, website_id, user_id):
        website = selectors.website_get_for_user(
            user=request.user, website_id=website_id, min_role=Role.ADMIN
        )
        services.member_remove(membership=selectors.member_get(website=website, user_id=user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _limit_invitations(request) -> None:
    """Invitation emails sent, per user: every website's count together."""
    enforce_rate(
        request,
        group="invitations-user",
        key_value=str(request.user.pk),
        rate_setting="CHATELLY_RATE_INVITATIONS",
    )


def _admin_website(request, website_id):
    return selectors.website_get_for_user(user=request.user, website_id=website_id, min_role=Role.ADMIN)


class InvitationListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["invitations"],
        summary="The website's open invitations (owner, admin)",
        description="Not accepted, withdrawn or expired; oldest first.",
        operation_id="websites_invitations_list",
        parameters=PAGE,
        responses={200: paginated(InvitationSerializer, "Invitation"), **errors(400, 401, 403, 404)},
    )
    def get(self, request, website_id):
        website = _admin_website(request, website_id)
        return _paginated(
            self, request, selectors.invitation_list_open(website=website), InvitationSerializer
        )


class InvitationDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["invitations"],
        summary="Withdraw an invitation (owner, admin); its link is dead",
        responses={204: None, **errors(401, 403, 404)},
    )
    def delete(self, request, website_id, invitation_id):
        website = _admin_website(request, website_id)
        invitation = selectors.invitation_get_pending(website=website, invitation_id=invitation_id)
        services.invitation_revoke(invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationResendView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["invitations"],
        summary="Email an invitation again with a new link and expiry (owner, admin)",
        description="The earlier link is dead. Limited per user (CHATELLY_RATE_INVITATIONS).",
        request=None,
        responses={202: InvitationSerializer, **errors(401, 403, 404, 429)},
    )
    def post(self, request, website_id, invitation_id):
        website = _admin_website(request, website_id)
        invitation = selectors.invitation_get_pending(website=website, invitation_id=invitation_id)
        _limit_invitations(request)
        invitation = services.invitation_resend(invitation=invitation)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_202_ACCEPTED)


class InvitationAcceptView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["invitations"],
        summary="Accept an invitation: the caller joins its website",
        description=(
            "Only the user whose email the invitation names (else 403). The invitation is "
            "used up. A bad, used, withdrawn or expired token: 400 `details.token`; already a "
            "member: 409. The Member also carries `website_id`, the website joined."
        ),
        request=InvitationAcceptInput,
        responses={200: AcceptedMemberSerializer, **errors(400, 401, 403, 409, 415)},
    )
    def post(self, request):
        data = valid_data(InvitationAcceptInput, request)
        membership = services.invitation_accept(user=request.user, **data)
        return Response(AcceptedMemberSerializer(membership).data)
