"""Who may open and post every admin URL, taken from the URL resolver.

Every pattern under the admin namespace (custom views included) is requested
as each role, by GET and by POST, with real rows of the right model. MATRIX
says, per URL, what each role gets; a URL with no entry fails the test, so a
new page is covered the day it is added. A denied POST must also leave every
table as it was.
"""

import json
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver

from contentops.roles import EDITORS, LEADS, MODERATORS, STAFF_VIEWERS
from monitoring.models import Incident
from personas.models import Persona
from publishing.models import PublishReceipt, PublishStatus
from safety.models import QAAction, QASample, ReviewAction, SafetyReport
from tests import reliability
from tests.admin.pages import receipt_data, report_data, task_data
from tests.factories import (
    ArtifactFactory,
    PendingReportFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)
from videos.models import Artifact, ArtifactKind, Task, TaskType, Video, VideoStatus

pytestmark = pytest.mark.django_db

ANONYMOUS, VIEWER, EDITOR, MODERATOR, REVIEWER, LEAD, SUPERUSER = ROLES = (
    "anonymous",
    "viewer",
    "editor",
    "moderator",
    "reviewer",  # the review permission only: a moderator who may not take over
    "lead",
    "superuser",
)
NOBODY = frozenset()
ONLY_SUPERUSER = frozenset({SUPERUSER})
STAFF = frozenset(ROLES) - {ANONYMOUS}
READERS = frozenset({VIEWER, EDITOR, MODERATOR, LEAD, SUPERUSER})  # the view permissions
EDITING = frozenset({EDITOR, SUPERUSER})
REVIEWING = frozenset({MODERATOR, REVIEWER, LEAD, SUPERUSER})
LEADING = frozenset({LEAD, SUPERUSER})  # the leads' own pages

# What a request may answer.
OPEN = "open"  # 2xx or 3xx (not to the login page); 400/409: the operation refused the post
LOGIN = "login"  # 302 to the login page
DENIED = "denied"  # 403
NOT_FOUND = "not found"  # 404: no such page for this user (Django's app index, no public page)
POST_ONLY = "post only"  # 405: a button's endpoint, opened by GET


def rule(get, post=None, *, refused=DENIED) -> dict:
    """Per method, role -> outcome: roles in the set are OPEN, other staff get
    `refused`, anonymous users go to the login page. `post` defaults to `get`."""
    return {
        "GET": _outcomes(get, refused),
        "POST": _outcomes(get if post is None else post, refused),
    }


def _outcomes(allowed, refused) -> dict:
    return {
        role: OPEN if role in allowed else LOGIN if role == ANONYMOUS else refused for role in ROLES
    }


def button(post) -> dict:
    """An endpoint behind a button: POST only, for the roles in `post`."""
    return {"GET": _outcomes(NOBODY, POST_ONLY), "POST": _outcomes(post, DENIED)}


def everyone(outcome) -> dict:
    return {method: dict.fromkeys(ROLES, outcome) for method in ("GET", "POST")}


def get_only(get) -> dict:
    return {"GET": _outcomes(get, DENIED), "POST": _outcomes(NOBODY, POST_ONLY)}


def model_pages(
    app_model: str, *, view, change=NOBODY, add=NOBODY, delete=ONLY_SUPERUSER, acts=None
):
    """The stock pages of one model admin. The changelist's POST runs its action
    (CHANGELIST_ACTIONS): every viewer gets the page, only `acts` (by default
    the roles that may change) may change anything with it."""
    app, model = app_model.split("_", 1)
    return {
        f"admin:{app_model}_changelist": rule(view) | {"acts": change if acts is None else acts},
        f"admin:{app_model}_add": rule(add),
        f"admin:{app_model}_change": rule(view, change),
        f"admin:{app_model}_history": rule(view),
        f"admin:{app_model}_delete": rule(delete),
        # Django's redirect to the change page, which checks for itself.
        f"admin/{app}/{model}/<path:object_id>/": rule(STAFF),
    }


MATRIX = {
    "admin:index": rule(STAFF),
    # The form is for anyone; signed-in users are sent on to the index.
    "admin:login": everyone(OPEN),
    # Signed-out users are told they are; a GET never signs anyone out.
    "admin:logout": {
        "GET": _outcomes(NOBODY, POST_ONLY) | {ANONYMOUS: OPEN},
        "POST": everyone(OPEN)["POST"],
    },
    "admin:password_change": rule(STAFF),
    "admin:password_change_done": get_only(STAFF),
    # Asked for an artifact's video: the video's view permission.
    "admin:autocomplete": get_only(READERS),
    "admin:jsi18n": get_only(STAFF),
    # No model here has a public page: nobody is sent anywhere.
    "admin:view_on_site": rule(NOBODY, refused=NOT_FOUND),
    **{
        f"admin:app_list[{app}]": rule(READERS, refused=NOT_FOUND)
        for app in ("personas", "videos", "publishing")
    },
    "admin:app_list[safety]": rule(STAFF, refused=NOT_FOUND),
    "admin:app_list[auth]": rule(ONLY_SUPERUSER, refused=NOT_FOUND),
    "admin:catch_all_view": rule(NOBODY, refused=NOT_FOUND),
    **model_pages("auth_group", view=ONLY_SUPERUSER, change=ONLY_SUPERUSER, add=ONLY_SUPERUSER),
    **model_pages("auth_user", view=ONLY_SUPERUSER, change=ONLY_SUPERUSER, add=ONLY_SUPERUSER),
    "admin:auth_user_password_change": rule(ONLY_SUPERUSER),
    # Sign out everywhere: one's own (the world's user is nobody here), or anyone's
    # with accounts.end_sessions, held by no role.
    "admin:auth_user_sessions": rule(ONLY_SUPERUSER),
    # Failed sign-ins and lockouts: accounts.unlock_signin, held by no role.
    "admin:app_list[axes]": rule(ONLY_SUPERUSER, refused=NOT_FOUND),
    **model_pages("axes_accessattempt", view=ONLY_SUPERUSER, delete=NOBODY, acts=ONLY_SUPERUSER),
    "admin:axes_accessattempt_lockouts": rule(ONLY_SUPERUSER),
    # The second factor: each staff user sets up and verifies their own; a superuser resets.
    "admin:auth_user_two_factor": rule(STAFF),
    "admin:auth_user_two_factor_verify": rule(STAFF),
    "admin:auth_user_two_factor_backup_codes": button(STAFF),
    "admin:auth_user_two_factor_reset": rule(ONLY_SUPERUSER),
    **model_pages("personas_persona", view=READERS, change=ONLY_SUPERUSER, add=ONLY_SUPERUSER),
    **model_pages("videos_video", view=READERS, change=EDITING, add=ONLY_SUPERUSER),
    "admin:videos_video_timeline": rule(READERS),
    # Tasks: editors queue them; nobody adds, edits, requeues or deletes a publish task
    # (the world's task is one) by hand (PIPELINE_RECORD).
    **model_pages("videos_task", view=READERS, add=EDITING, delete=NOBODY),
    # Artifacts are the pipeline's: their file changes only through the upload.
    **model_pages("videos_artifact", view=READERS, change=EDITING, delete=NOBODY),
    "admin:videos_artifact_gallery": rule(READERS),
    "admin:videos_artifact_gallery_files": get_only(READERS),
    "admin:videos_artifact_content": rule(READERS),
    "admin:videos_artifact_upload": rule(EDITING),
    # Reports are the pipeline's record: read by all, changed by nobody (PIPELINE_RECORD).
    **model_pages("safety_safetyreport", view=READERS, delete=NOBODY),
    # Its change page is the review page, whatever the method: it changes nothing.
    **model_pages(
        "safety_reviewqueueitem", view=REVIEWING, change=REVIEWING, delete=NOBODY, acts=REVIEWING
    ),
    "admin:safety_reviewqueueitem_review": rule(REVIEWING),
    "admin:safety_reviewqueueitem_next": button(REVIEWING),
    "admin:safety_reviewqueueitem_claim": button(REVIEWING),
    "admin:safety_reviewqueueitem_renew": button(REVIEWING),
    "admin:safety_reviewqueueitem_release": button(REVIEWING),
    "admin:safety_reviewqueueitem_decide": button(REVIEWING),
    "admin:safety_reviewqueueitem_takeover": button({MODERATOR, LEAD, SUPERUSER}),
    # QA: moderators second-review; a lead's verdict and the agreement table
    # need the leads' resolve permission.
    **model_pages("safety_qasample", view=REVIEWING, change=REVIEWING, delete=NOBODY),
    "admin:safety_qasample_review": rule(REVIEWING),
    "admin:safety_qasample_agreement": get_only(LEADING),
    "admin:safety_qasample_next": button(REVIEWING),
    "admin:safety_qasample_claim": button(REVIEWING),
    "admin:safety_qasample_renew": button(REVIEWING),
    "admin:safety_qasample_release": button(REVIEWING),
    "admin:safety_qasample_decide": button(REVIEWING),
    "admin:safety_qasample_resolve": button(LEADING),
    # The decision log, its export and the score calibration, and the QA log: leads'.
    **model_pages("safety_decisionlog", view=LEADING, delete=NOBODY),
    "admin:safety_decisionlog_export": get_only(LEADING),
    "admin:safety_decisionlog_calibration": get_only(LEADING),
    "admin:safety_decisionlog_calibration_csv": get_only(LEADING),
    **model_pages("safety_qalog", view=LEADING, delete=NOBODY),
    "admin:safety_qalog_export": get_only(LEADING),
    # Receipts are the worker's record: no add, no change (PIPELINE_RECORD).
    # Retry, cancel and retract are the editors' operations on them.
    **model_pages("publishing_publishreceipt", view=READERS, delete=NOBODY, acts=EDITING),
    # Work lists: their change pages are redirects to the approve page and the receipt.
    **model_pages("publishing_readyvideo", view=EDITING, change=EDITING, delete=NOBODY),
    "admin:publishing_readyvideo_approve": rule(EDITING),
    **model_pages("publishing_publishfailure", view=EDITING, change=EDITING, delete=NOBODY),
    # Incidents are the monitor's record: leads and the superuser read them, nobody writes.
    "admin:app_list[monitoring]": rule(LEADING, refused=NOT_FOUND),
    **model_pages("monitoring_incident", view=LEADING, delete=NOBODY),
    # The dashboard: every role here may open one section of it (queue, pipeline or
    # publishing); a POST shows the page and changes nothing.
    "admin:insights_dashboard_changelist": rule(STAFF),
    "admin:app_list[insights]": rule(STAFF, refused=NOT_FOUND),
    # History events are written by triggers: the superuser reads them, nobody writes.
}

# Rows for what the pipeline and the worker wrote, which nobody may add or
# change by hand (issue 10, item 2). Engineer h2 makes them read-only; until
# that lands these rows fail. For each, a POST that would write (built by
# `_posts`) is sent as every role, and must leave every table as it was.
# The action each changelist's POST runs on the world's row of its model.
CHANGELIST_ACTIONS = {
    "admin:videos_video_changelist": "archive_selected",
    "admin:videos_task_changelist": "requeue_selected",
    "admin:safety_reviewqueueitem_changelist": "bulk_approve",
    "admin:publishing_publishreceipt_changelist": "retry_selected",
    "admin:publishing_publishfailure_changelist": "retry_selected",
}

PIPELINE_RECORD = (
    "admin:safety_safetyreport_add",
    "admin:safety_safetyreport_change",
    "admin:safety_safetyreport_delete",
    "admin:publishing_publishreceipt_add",
    "admin:publishing_publishreceipt_change",
    "admin:publishing_publishreceipt_delete",
    "admin:videos_task_add",  # a publish task, with a payload of the editor's making
    "admin:videos_task_change",  # the world's task is a publish task
    "admin:videos_task_delete",
    "admin:videos_task_changelist",  # requeueing it: publishing's retry does that
    "admin:videos_artifact_add",
    "admin:videos_artifact_delete",
)

# ---------------------------------------------------------------------------
# The URLs, from the resolver.


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and namespace == "admin:":
            yield prefix + str(pattern.pattern), pattern


def admin_urls() -> dict[str, str]:
    """Matrix key -> the route of every admin URL pattern. Named patterns are
    keyed by name, the app index once per app, unnamed ones by their route."""
    from django.contrib import admin

    urls = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        if pattern.name == "app_list":
            apps = {model._meta.app_label for model in admin.site._registry}
            urls |= {f"admin:app_list[{app}]": f"admin/{app}/" for app in apps}
        elif pattern.name:
            urls[f"admin:{pattern.name}"] = route
        elif pattern.callback.__name__ == "catch_all_view":
            urls["admin:catch_all_view"] = route
        else:
            urls[route] = route
    return urls


URLS = admin_urls()


def _model_of(route: str):
    from django.contrib import admin

    parts = route.split("/")
    for model in admin.site._registry:
        if parts[1:3] == [model._meta.app_label, model._meta.model_name]:
            return model
    return None


def concrete_url(route: str, world: dict) -> str:
    """The route with real keys of rows of its model put in."""
    if route == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    if route == "admin/autocomplete/":
        return f"/{route}?app_label=videos&model_name=artifact&field_name=video"
    model = _model_of(route) or Video
    if model._meta.label_lower not in world:
        pytest.fail(f"{route}: add a row of {model._meta.label} to the world fixture")
    video = world["video"]
    values = {
        "<path:object_id>": lambda: str(world[model._meta.label_lower].pk),
        "<uuid:report_id>": lambda: str(world["report"].pk),
        "<int:sample_id>": lambda: str(world["safety.qasample"].pk),
        "<uuid:video_id>": lambda: str(video.pk),
        "<id>": lambda: str(world["auth.user"].pk),
        "<path:content_type_id>": lambda: str(ContentType.objects.get_for_model(Video).pk),
    }
    url = "/" + route
    for marker, value in values.items():
        if marker in url:
            url = url.replace(marker, value())
    return url


@pytest.fixture
def world(s3_media, roles, settings, tmp_path) -> dict:
    """A row of every model an admin URL names, with real files in S3."""
    from django.contrib.auth.models import Group

    from publishing import channels

    settings.PUBLISH_CHANNELS = {
        "youtube": {"adapter": "local", "label": "YouTube", "folder": str(tmp_path / "youtube")}
    }
    channels.sync_permissions()

    video = VideoFactory(status=VideoStatus.READY, title="Ready one")
    SafetyReportFactory(task__video=video, requires_human_review=False, score=0.1)
    artifact = ArtifactFactory(
        video=video, kind=ArtifactKind.SCRIPT, s3_path=s3_media("script.txt", b"HELLO\n")
    )
    report = PendingReportFactory()
    qa_sample = _a_qa_sample()
    decision = ReviewAction.objects.create(
        report=PendingReportFactory(), actor=UserFactory(), kind="escalate", note="unsure"
    )
    # A publish that failed for good, which an editor may retry.
    approved = VideoFactory(status=VideoStatus.APPROVED)
    failed = TaskFactory(video=approved, type=TaskType.PUBLISH, status="failed", payload={})
    receipt = PublishReceiptFactory(video=approved, status=PublishStatus.FAILED, task=failed)
    return {
        "video": video,
        "report": report,
        "personas.persona": video.persona,
        "videos.video": video,
        "videos.task": failed,
        "videos.artifact": artifact,
        "safety.safetyreport": report,
        "safety.reviewqueueitem": report,
        "safety.qasample": qa_sample,
        "safety.decisionlog": decision,
        "safety.qalog": QAAction.objects.create(
            sample=qa_sample, actor=UserFactory(username="second-reviewer"),
            stage="review", kind="approve", reason_code="no_violation",
        ),  # fmt: skip
        "publishing.publishreceipt": receipt,
        "publishing.readyvideo": video,
        "publishing.publishfailure": receipt,
        "insights.dashboard": None,  # no rows: its one page names none
        "auth.user": UserFactory(username="someone"),
        "auth.group": Group.objects.get(name=STAFF_VIEWERS),
        "monitoring.incident": _an_incident(),
        "axes.accessattempt": _an_attempt(),
    }


def _an_attempt():
    from axes.models import AccessAttempt

    return AccessAttempt.objects.create(
        username="someone", ip_address="203.0.113.9", user_agent="test", failures_since_start=1
    )


def _an_incident():
    return Incident.objects.create(kind=Incident.Kind.SLA_BREACH, summary="3 reports wait")


def _a_qa_sample():
    """A decision drawn for QA, by someone none of the people below is."""
    from safety.models import QASource, QAVerdict

    decided = SafetyReportFactory(requires_human_review=True, review_status="approved")
    return QASample.objects.create(
        report=decided,
        source=QASource.DECISION,
        first_verdict=QAVerdict.APPROVED,
        moderator=UserFactory(username="first-moderator"),
    )


@pytest.fixture
def people(roles) -> dict:
    reviewer = UserFactory(username="reviewer")
    reviewer.user_permissions.add(Permission.objects.get(codename="review_safetyreport"))
    return {
        ANONYMOUS: None,
        VIEWER: UserFactory(username="viewer", groups=[STAFF_VIEWERS]),
        EDITOR: UserFactory(username="editor", groups=[EDITORS]),
        MODERATOR: UserFactory(username="moderator", groups=[MODERATORS]),
        REVIEWER: reviewer,
        LEAD: UserFactory(username="lead", groups=[LEADS]),
        SUPERUSER: UserFactory(username="root", is_superuser=True),
    }


# ---------------------------------------------------------------------------
# Asking.

TRACKED = (
    Persona,
    Video,
    Task,
    Artifact,
    SafetyReport,
    ReviewAction,
    PublishReceipt,
    QASample,
    QAAction,
    Incident,
)


def tables() -> dict:
    """Every row people could change through the admin, as stored."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    state = {m._meta.label: list(m.objects.order_by("pk").values()) for m in TRACKED}
    users = get_user_model().objects.order_by("pk").values()
    state["users"] = [{k: v for k, v in u.items() if k != "last_login"} for u in users]
    state["groups"] = list(Group.objects.order_by("pk").values("pk", "name", "permissions"))
    return state


def outcome(response) -> str:
    status = response.status_code
    if status == 302 and response["Location"].startswith("/admin/login/"):
        return LOGIN
    return {403: DENIED, 404: NOT_FOUND, 405: POST_ONLY}.get(
        status, OPEN if status < 400 or status in (400, 409) else str(status)
    )


def _posts(world) -> dict:
    """A POST that writes if the page lets it, for each PIPELINE_RECORD row and
    each changelist with an action; other URLs get an empty one."""
    video, report, task, receipt = (
        world[name] for name in ("video", "report", "videos.task", "publishing.publishreceipt")
    )
    forged = {
        "id": uuid.uuid4(),
        "video": video.pk,
        "channel": "youtube",
        "status": PublishStatus.PUBLISHED,
        "remote_id": "../../outside",
        "timestamp_0": "2026-01-01",
        "timestamp_1": "00:00:00",
    }
    cleared = report_data(report, score="0.01")
    del cleared["requires_human_review"]  # unticked: out of the queue
    actions = {
        key: _action(name, world[_model_of(URLS[key])._meta.label_lower])
        for key, name in CHANGELIST_ACTIONS.items()
    }
    return actions | {
        "admin:safety_safetyreport_add": {"task": report.task_id, "score": "0.01", "issues": "[]"},
        "admin:safety_safetyreport_change": cleared,
        "admin:publishing_publishreceipt_add": forged,
        "admin:publishing_publishreceipt_change": receipt_data(
            receipt, **forged | {"id": receipt.pk}
        ),
        "admin:videos_task_add": {
            "video": video.pk,
            "type": TaskType.PUBLISH,
            "status": "queued",
            "payload": json.dumps({"channel": "youtube", "artifacts": "anything"}),
        },
        "admin:videos_task_change": task_data(
            task, status="queued", payload=json.dumps({"channel": "tiktok", "artifacts": []})
        ),
        "admin:videos_artifact_add": {
            "video": video.pk,
            "kind": ArtifactKind.RENDER,
            "s3_path": f"s3://contentops/videos/{video.pk}/unreviewed.webm",
        },
        **{
            f"admin:{app_model}_delete": {"post": "yes"}
            for app_model in (
                "safety_safetyreport",
                "publishing_publishreceipt",
                "videos_task",
                "videos_artifact",
            )
        },
    }


def _action(name: str, row) -> dict:
    seen = {f"_seen_version_{row.pk}": row.state_version} if hasattr(row, "state_version") else {}
    return {"action": name, "_selected_action": [row.pk], "index": 0, **seen}


def ask(client, user, method: str, url: str, data: dict):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url) if method == "GET" else client.post(url, data)


def may_act(key: str) -> frozenset:
    """Who may change rows by POSTing to `key`: its "acts", else whoever it lets in."""
    if key in PIPELINE_RECORD:
        return NOBODY
    expected = MATRIX[key]
    return expected.get("acts", {role for role, got in expected["POST"].items() if got == OPEN})


@pytest.mark.parametrize("key", sorted(URLS))
def test_every_role_gets_exactly_what_the_matrix_says(client, world, people, key):
    if key not in MATRIX:
        pytest.fail(f"{key} ({URLS[key]}) has no entry: add it to the matrix in {__name__}")
    url = concrete_url(URLS[key], world)
    client.raise_request_exception = False
    wrong, escapes, cases = [], 0, 0
    for method in ("GET", "POST"):
        for role in ROLES:
            before = tables() if method == "POST" else None
            got = outcome(ask(client, people[role], method, url, _posts(world).get(key, {})))
            expected = MATRIX[key][method][role]
            cases += 1
            if got != expected:
                wrong.append(f"{method} {url} as {role}: {got}, expected {expected}")
            wrote = before is not None and role not in may_act(key)
            if wrote and tables() != before:
                wrong.append(f"{method} {url} as {role} changed rows it may not")
            escapes += (got == OPEN and expected != OPEN) or (wrote and tables() != before)
    part = URLS[key].split("/")[1] if URLS[key].count("/") > 2 else "site"
    reliability.record("permissions", part, cases=cases, escapes=escapes)
    assert not wrong, "\n".join(wrong)


def test_the_matrix_names_only_urls_that_exist():
    assert set(MATRIX) - set(URLS) == set()
