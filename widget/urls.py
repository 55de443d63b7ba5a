from chatelly.api.routes import both

from . import views

urlpatterns = [
    *both("config/<str:widget_key>", views.WidgetConfigView.as_view(), "widget-config"),
    *both("script/<str:widget_key>", views.WidgetScriptView.as_view(), "widget-script"),
    *both("upload/<str:widget_key>", views.WidgetUploadView.as_view(), "widget-upload"),
    *both("app.js", views.WidgetAppView.as_view(), "widget-app"),
]
