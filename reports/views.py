"""Analytics endpoints (the OpenAPI schema's analytics tag), as JSON or, with ?format=csv, CSV."""

import csv
import io
import zoneinfo

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from chatelly.api.params import choice_param
from chatelly.api.schema import errors
from websites.selectors import website_get_for_user, website_list_for_user

from . import selectors
from .ranges import FIRST_DAY, LAST_DAY, MAX_DAYS, day_range_parse

DAY = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
PARAMETERS = [
    OpenApiParameter(
        "from",
        DAY,
        description=f"First day, YYYY-MM-DD, {FIRST_DAY} to {LAST_DAY} (default: 29 days before `to`); "
        f"after `to` or more than {MAX_DAYS} days before it: 400",
    ),
    OpenApiParameter("to", DAY, description="Last day, YYYY-MM-DD, inclusive (default: today in `tz`)"),
    OpenApiParameter(
        "tz",
        {"type": "string", "enum": sorted(zoneinfo.available_timezones())},
        description="IANA time zone the days are cut in (default UTC)",
    ),
    OpenApiParameter("format", str, enum=["json", "csv"], description="csv: date,chats,messages,visitors"),
]
CSV = OpenApiResponse(
    {"type": "string"}, description="With ?format=csv: text/csv, the header row date,chats,messages,visitors"
)


class TotalsSchema(serializers.Serializer):
    chats = serializers.IntegerField()
    messages = serializers.IntegerField()
    visitor_messages = serializers.IntegerField()
    agent_messages = serializers.IntegerField()
    bot_messages = serializers.IntegerField()
    visitors = serializers.IntegerField()
    active_chats = serializers.IntegerField()
    avg_first_response_seconds = serializers.FloatField(allow_null=True)
    avg_chat_duration_seconds = serializers.FloatField(allow_null=True)


class RangeSchema(serializers.Serializer):
    to = serializers.DateField()
    tz = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()  # a Python keyword, so added here
        return fields


class DaySchema(serializers.Serializer):
    date = serializers.DateField()
    chats = serializers.IntegerField()
    messages = serializers.IntegerField()
    visitors = serializers.IntegerField()


class WebsiteFiguresSchema(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    chats = serializers.IntegerField()
    messages = serializers.IntegerField()
    visitors = serializers.IntegerField()


class BusyHourSchema(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="0 = Monday .. 6 = Sunday, in tz")
    hour = serializers.IntegerField(help_text="0-23, in tz")
    chats = serializers.IntegerField()


class DashboardSchema(serializers.Serializer):
    range = RangeSchema()
    totals = TotalsSchema()
    series = DaySchema(many=True)
    websites = WebsiteFiguresSchema(many=True)


class WebsiteReportSchema(serializers.Serializer):
    range = RangeSchema()
    totals = TotalsSchema()
    series = DaySchema(many=True)
    busiest_hours = BusyHourSchema(many=True)


def series_csv(report: dict, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["date", "chats", "messages", "visitors"])
    for day in report["series"]:
        writer.writerow([day["date"], day["chats"], day["messages"], day["visitors"]])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def answer_format(request) -> str:
    """ "json" or "csv", checked before any figure is computed."""
    return choice_param(request.query_params, "format", ("json", "csv"), empty_is_absent=False) or "json"


def _answer(request, report: dict, filename: str):
    if answer_format(request) == "csv":
        return series_csv(report, filename)
    return Response(report)


class DashboardView(APIView):
    @extend_schema(
        tags=["analytics"],
        summary="Figures for all the caller's websites",
        parameters=PARAMETERS,
        responses={(200, "application/json"): DashboardSchema, (200, "text/csv"): CSV, **errors(400, 401)},
    )
    def get(self, request):
        answer_format(request)
        day_range = day_range_parse(request.query_params)
        websites = list(website_list_for_user(user=request.user).order_by("id"))
        report = selectors.dashboard(websites=websites, day_range=day_range)
        return _answer(request, report, f"chatelly-{day_range.start}-{day_range.end}.csv")


class WebsiteAnalyticsView(APIView):
    @extend_schema(
        tags=["analytics"],
        summary="Figures for one website",
        parameters=PARAMETERS,
        responses={
            (200, "application/json"): WebsiteReportSchema,
            (200, "text/csv"): CSV,
            **errors(400, 401, 404),
        },
    )
    def get(self, request, website_id):
        website = website_get_for_user(user=request.user, website_id=website_id)
        answer_format(request)
        day_range = day_range_parse(request.query_params)
        report = selectors.website_report(website=website, day_range=day_range)
        return _answer(request, report, f"chatelly-{website.id}-{day_range.start}-{day_range.end}.csv")
