from chatelly.api.routes import both

from . import views

urlpatterns = [
    *both("websites", views.WebsiteListView.as_view(), "website-list"),
    *both("websites/<int:website_id>", views.WebsiteDetailView.as_view(), "website-detail"),
    *both("websites/<int:website_id>/rotate-key", views.WebsiteRotateKeyView.as_view(), "website-rotate-key"),
    *both("websites/<int:website_id>/members", views.MemberListView.as_view(), "member-list"),
    *both(
        "websites/<int:website_id>/members/<int:user_id>", views.MemberDetailView.as_view(), "member-detail"
    ),
    *both("websites/<int:website_id>/invitations", views.InvitationListView.as_view(), "invitation-list"),
    *both(
        "websites/<int:website_id>/invitations/<int:invitation_id>",
        views.InvitationDetailView.as_view(),
        "invitation-detail",
    ),
    *both(
        "websites/<int:website_id>/invitations/<int:invitation_id>/resend",
        views.InvitationResendView.as_view(),
        "invitation-resend",
    ),
    *both("invitations/accept", views.InvitationAcceptView.as_view(), "invitation-accept"),
]
