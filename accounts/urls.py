from chatelly.api.routes import both

from . import views

auth_urlpatterns = [
    *both("register", views.RegisterView.as_view(), "auth-register"),
    *both("login", views.LoginView.as_view(), "auth-login"),
    *both("password-reset", views.PasswordResetView.as_view(), "auth-password-reset"),
    *both("password-reset/confirm", views.PasswordResetConfirmView.as_view(), "auth-password-reset-confirm"),
    *both("refresh", views.RefreshView.as_view(), "auth-refresh"),
    *both("logout", views.LogoutView.as_view(), "auth-logout"),
    *both("session/refresh", views.SessionRefreshView.as_view(), "auth-session-refresh"),
    *both("session/logout", views.SessionLogoutView.as_view(), "auth-session-logout"),
]

user_urlpatterns = [
    *both("profile", views.ProfileView.as_view(), "user-profile"),
    *both("password", views.PasswordView.as_view(), "user-password"),
]
