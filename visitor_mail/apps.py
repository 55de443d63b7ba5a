from django.apps import AppConfig


class VisitorMailConfig(AppConfig):
    name = "visitor_mail"
    verbose_name = "Visitor email"
