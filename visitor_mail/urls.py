"""visitor_mail's routes: under /api/v1/, under /widget/, and the pages under /email/."""

api_urlpatterns: list = []
widget_urlpatterns: list = []
page_urlpatterns: list = []
