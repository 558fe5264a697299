"""Who may work the review queue: moderators, and nobody else, on every page and button."""

import pytest
from django.contrib.auth.models import Group, Permission

from contentops.roles import MODERATORS, ROLES
from safety import services
from safety.models import ReviewAction, SafetyReport
from tests.factories import PendingReportFactory, UserFactory
from tests.safety.pages import ENDPOINTS, QUEUE_URL, endpoint_url, next_url, review_url

pytestmark = pytest.mark.django_db

OUTSIDERS = ["editor", "viewer", "no_groups"]
POSTS = ["next", *ENDPOINTS]
DECISION = {"decision": "approve", "reason_approve": "no_violation"}


@pytest.fixture
def no_groups(db):
    return UserFactory(username="no_groups")


@pytest.fixture
def plain_moderator(db):
    """Reviews, but is no lead: the review permission without the takeover one."""
    user = UserFactory(username="plain")
    user.user_permissions.add(Permission.objects.get(codename="review_safetyreport"))
    return user


@pytest.fixture
def held(db):
    """A pending report a colleague is reviewing, so every button has work to refuse."""
    report = PendingReportFactory()
    colleague = UserFactory(username="colleague", groups=[MODERATORS])
    services.claim(report_id=report.pk, moderator=colleague)
    return report


def post_url(report, name: str) -> str:
    return next_url() if name == "next" else endpoint_url(report, name)


def pages(report) -> list[str]:
    return [QUEUE_URL, review_url(report), f"{QUEUE_URL}{report.pk}/change/"]


def test_moderators_hold_the_review_and_takeover_permissions():
    held = set(
        Group.objects.get(name=MODERATORS)
        .permissions.select_related("content_type")
        .values_list("content_type__app_label", "codename")
    )
    assert {f"{app}.{code}" for app, code in held} == set(ROLES[MODERATORS])
    assert {("safety", "review_safetyreport"), ("safety", "takeover_safetyreport")} <= held


def test_a_moderator_may_open_the_queue_and_the_review_page(client_for, moderator, held):
    client = client_for(moderator)
    for url in pages(held):
        assert client.get(url).status_code == 200, url


def test_a_reviewer_without_any_group_may_open_the_queue_too(client_for, plain_moderator, held):
    client = client_for(plain_moderator)
    for url in pages(held):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", OUTSIDERS)
def test_everyone_else_is_refused_the_queue_and_the_review_page(request, client_for, who, held):
    client = client_for(request.getfixturevalue(who))
    for url in pages(held):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("name", POSTS)
@pytest.mark.parametrize("who", OUTSIDERS)
def test_everyone_else_is_refused_every_button(request, client_for, who, name, held):
    client = client_for(request.getfixturevalue(who))
    before = list(ReviewAction.objects.values_list("pk", flat=True))

    response = client.post(post_url(held, name), DECISION)

    assert response.status_code == 403
    assert list(ReviewAction.objects.values_list("pk", flat=True)) == before
    stored = SafetyReport.objects.get(pk=held.pk)
    assert (stored.claimed_by.username, stored.review_status) == ("colleague", None)


@pytest.mark.parametrize("name", POSTS)
def test_anonymous_buttons_are_sent_to_the_login_page(client, name, held):
    response = client.post(post_url(held, name), DECISION)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")
    assert SafetyReport.objects.get(pk=held.pk).review_status is None


def test_anonymous_pages_are_sent_to_the_login_page(client, held):
    for url in pages(held):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/?next=")


def test_a_reviewer_without_the_takeover_permission_may_not_take_over(
    client_for, plain_moderator, held
):
    response = client_for(plain_moderator).post(endpoint_url(held, "takeover"))
    assert response.status_code == 403
    assert SafetyReport.objects.get(pk=held.pk).claimed_by.username == "colleague"
    assert not ReviewAction.objects.filter(kind="takeover").exists()


def test_a_moderator_may_take_over(client_for, moderator, held):
    response = client_for(moderator).post(endpoint_url(held, "takeover"))
    assert response.status_code == 302
    assert SafetyReport.objects.get(pk=held.pk).claimed_by == moderator
    assert ReviewAction.objects.filter(kind="takeover", actor=moderator).count() == 1


@pytest.mark.parametrize("name", POSTS)
def test_buttons_answer_only_posts(client_for, moderator, name, held):
    response = client_for(moderator).get(post_url(held, name))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert ReviewAction.objects.filter(actor=moderator).count() == 0


@pytest.mark.parametrize("who", ["moderator", "editor"])
def test_nobody_adds_or_deletes_through_the_queue(request, client_for, who, held):
    client = client_for(request.getfixturevalue(who))
    assert client.get(f"{QUEUE_URL}add/").status_code == 403
    assert client.post(f"{QUEUE_URL}{held.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SafetyReport.objects.filter(pk=held.pk).exists()


def test_the_queue_is_in_the_app_list_of_moderators_only(client_for, moderator, editor):
    def listed(user) -> bool:
        apps = client_for(user).get("/admin/").context["app_list"]
        return any(m["object_name"] == "ReviewQueueItem" for app in apps for m in app["models"])

    assert listed(moderator)
    assert not listed(editor)
