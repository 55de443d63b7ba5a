"""Notification endpoints (the OpenAPI schema's notifications tag). Thin: parse, call a service, answer."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from chatelly.api.parsers import JSONParser
from chatelly.api.schema import AutoSchema, errors

from . import selectors, services
from .serializers import (
    SUBSCRIPTION_REQUEST,
    PreferencesSchema,
    PushKeySchema,
    SubscriptionSchema,
    preferences_request,
)


class PreferencesView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["notifications"],
        summary="The caller's notification preferences (the defaults until changed)",
        responses={200: PreferencesSchema, **errors(401)},
    )
    def get(self, request):
        return Response(selectors.preferences_for(user=request.user).as_dict())

    @extend_schema(
        tags=["notifications"],
        summary="Change some notification preferences; unknown keys are refused",
        request=preferences_request(),
        responses={200: PreferencesSchema, **errors(400, 401, 415)},
    )
    def patch(self, request):
        changed = services.preferences_update(user=request.user, changes=request.data)
        return Response(changed.as_dict())


class PushKeyView(APIView):
    @extend_schema(
        tags=["notifications"],
        summary="The VAPID public key to subscribe with; null when push is not configured",
        responses={200: PushKeySchema, **errors(401)},
    )
    def get(self, request):
        return Response({"public_key": selectors.push_public_key()})


def _subscription_body(subscription) -> dict:
    return SubscriptionSchema({"id": subscription.id, "created_at": subscription.created_at}).data


class SubscriptionListView(APIView):
    parser_classes = [JSONParser]
    schema = AutoSchema()

    @extend_schema(
        tags=["notifications"],
        summary="Keep this browser's push subscription (PushSubscription.toJSON())",
        description=(
            "201 when new; 200 with the same id when the endpoint is known (it is bound to the caller "
            "now). At most 20 per user: past that the oldest are deleted. 409 when the server has no "
            "VAPID keys."
        ),
        request=SUBSCRIPTION_REQUEST,
        responses={
            200: SubscriptionSchema,
            201: SubscriptionSchema,
            **errors(400, 401, 409, 415, e409="conflict (push not configured)"),
        },
    )
    def post(self, request):
        subscribed = services.subscription_add(
            user=request.user, data=request.data, user_agent=request.headers.get("User-Agent", "")
        )
        code = status.HTTP_201_CREATED if subscribed.created else status.HTTP_200_OK
        return Response(_subscription_body(subscribed.subscription), status=code)


class SubscriptionDetailView(APIView):
    @extend_schema(
        tags=["notifications"],
        summary="Forget one of the caller's push subscriptions",
        responses={204: None, **errors(401, 404)},
    )
    def delete(self, request, subscription_id):
        services.subscription_delete(user=request.user, subscription_id=subscription_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
