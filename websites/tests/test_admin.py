import pytest

from websites.models import Membership, Website

pytestmark = pytest.mark.django_db

# The read-only members inline still posts its management form.
INLINE = {
    "memberships-TOTAL_FORMS": "0",
    "memberships-INITIAL_FORMS": "0",
    "memberships-MIN_NUM_FORMS": "0",
    "memberships-MAX_NUM_FORMS": "1000",
}


def test_changelist_search_and_filters(staff_client, make_user, make_website):
    alice = make_user(email="alice@shop.com")
    bob = make_user(email="bob@store.com", plan="pro")
    make_website(owner=alice, name="Alpha", domain="alpha.com")
    make_website(owner=bob, name="Beta", domain="beta.org")
    for query, shown, hidden in (("alpha.com", b"Alpha", b"Beta"), ("bob@store", b"Beta", b"Alpha")):
        page = staff_client.get("/admin/websites/website/", {"q": query})
        assert shown in page.content and hidden not in page.content
    page = staff_client.get("/admin/websites/website/", {"user__plan": "pro"})
    assert b"Beta" in page.content and b"Alpha" not in page.content
    assert staff_client.get("/admin/websites/website/", {"is_active__exact": "0"}).status_code == 200


def test_change_page_shows_members_inline(staff_client, make_website, make_user):
    website = make_website()
    Membership.objects.create(website=website, user=make_user(email="agent@shop.com"), role="agent")
    page = staff_client.get(f"/admin/websites/website/{website.pk}/change/")
    assert page.status_code == 200
    assert b"agent@shop.com" in page.content


def test_actions_deactivate_and_rotate_through_services(
    staff_client, make_website, api, django_capture_on_commit_callbacks
):
    website = make_website()
    old_key = website.widget_key
    assert api.get(f"/widget/config/{old_key}").status_code == 200  # cached
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/websites/website/", {"action": "rotate_key", "_selected_action": [website.pk]}
        )
    website.refresh_from_db()
    assert website.widget_key != old_key
    assert api.get(f"/widget/config/{old_key}").status_code == 404
    assert api.get(f"/widget/config/{website.widget_key}").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/websites/website/", {"action": "deactivate", "_selected_action": [website.pk]}
        )
    website.refresh_from_db()
    assert website.is_active is False
    assert api.get(f"/widget/config/{website.widget_key}").status_code == 404


def test_the_change_form_validates_domain_settings_and_plan(staff_client, make_website, user):
    website = make_website()
    url = f"/admin/websites/website/{website.pk}/change/"
    base = {
        **INLINE,
        "user": user.pk,
        "name": "Shop",
        "domain": "shop.example.com",
        "max_users": 100,
        "is_active": "on",
    }
    bad = [
        {**base, "domain": "https://x.com", "settings": "{}"},
        {**base, "settings": '{"colour": "red"}'},
        {**base, "settings": "{}", "max_users": 5000},
    ]
    for data in bad:
        response = staff_client.post(url, data)
        assert response.status_code == 200  # the form again, with errors
        assert b"errornote" in response.content
    response = staff_client.post(url, {**base, "domain": "New.Example.com.", "settings": '{"title": "Hi"}'})
    assert response.status_code == 302
    website.refresh_from_db()
    assert website.domain == "new.example.com"
    assert website.settings == {"title": "Hi"}


def test_adding_a_website_in_the_admin_makes_the_owner_member(staff_client, user):
    data = {
        **INLINE,
        "user": user.pk,
        "name": "New",
        "domain": "new.com",
        "max_users": 10,
        "is_active": "on",
        "settings": "{}",
    }
    response = staff_client.post("/admin/websites/website/add/", data)
    assert response.status_code == 302, response.content[:3000]
    website = Website.objects.get(name="New")
    assert Membership.objects.get(website=website).role == "owner"


def test_invitations_are_read_only_and_can_be_withdrawn(staff_client, make_user, make_website):
    from websites import services
    from websites.models import Invitation

    owner = make_user(email="owner@shop.com")
    website = make_website(owner=owner)
    invitation = services.invitation_create(
        website=website, email="new@shop.com", role="agent", invited_by=owner
    )
    page = staff_client.get("/admin/websites/invitation/", {"q": "new@shop"})
    assert page.status_code == 200 and b"new@shop.com" in page.content
    page = staff_client.get(f"/admin/websites/invitation/{invitation.pk}/change/")
    assert page.status_code == 200
    assert invitation.token_hash.encode() in page.content and b'name="token_hash"' not in page.content
    assert staff_client.get("/admin/websites/invitation/add/").status_code == 403
    response = staff_client.post(
        "/admin/websites/invitation/", {"action": "withdraw", "_selected_action": [invitation.pk]}
    )
    assert response.status_code == 302
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None
