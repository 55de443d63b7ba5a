"""visitor_mail's routes: under /api/v1/ (none), under /widget/, and the pages under /email/."""

from chatelly.api.routes import both

from . import pages, views

api_urlpatterns: list = []
widget_urlpatterns = [
    *both("resume", views.ResumeView.as_view(), "widget-resume"),
    *both("transcript", views.TranscriptView.as_view(), "widget-transcript"),
]
page_urlpatterns = [
    *both("unsubscribe", pages.unsubscribe_page, "email-unsubscribe"),
]
