from chatelly.api.routes import both

from . import views

urlpatterns = [
    *both("config/<str:widget_key>", views.WidgetConfigView.as_view(), "widget-config"),
    *both("script/<str:widget_key>", views.WidgetScriptView.as_view(), "widget-script"),
]
