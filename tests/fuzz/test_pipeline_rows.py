"""Rows of generated shapes written with plain SQL, as the pipeline services
write them (issues and payloads of any JSON shape, scores in range, odd S3
paths and text, timestamps from the far past to the far future), then every
page that shows them rendered: never a 500, nothing injected unescaped."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import example, given
from hypothesis import strategies as st

from safety.models import SafetyReport
from tests.fuzz.cases import case, fuzz, send
from tests.fuzz.strategies import SCRIPT, hostile_text, issues_documents, json_values

STATUSES = ["draft", "producing", "in_review", "ready", "approved", "published", "rejected"]
TASKS = ["script", "audio", "render", "thumbnail", "safety_check", "publish"]
TASK_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"]
KINDS = ["script", "render", "thumbnail", "audio"]
RECEIPT_STATUSES = ["pending", "published", "failed", "retracted"]

# Within what Python's datetime holds in any zone: a day's margin at each end.
times = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    st.just(datetime.now(UTC) - timedelta(days=3650)),
)
text = hostile_text().filter(lambda value: "\x00" not in value)  # Postgres text takes no NUL
s3_paths = st.one_of(
    st.none(),
    st.sampled_from(["s3://contentops/x/y.png", "s3://contentops/", "s3://../a", "s3://b/../c"]),
    text,
    text.map(lambda key: f"s3://contentops/{key}"),
)
payloads = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "started_at": st.one_of(
                json_values,
                st.sampled_from(
                    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-13-01"]
                ),
            ),
            "finished_at": json_values,
            "artifacts": json_values,
            "channel": json_values,
            "error": json_values,
        },
    ),
)


def rows_of_every_kind(draw) -> dict:
    return {
        "persona": {"name": draw(text), "tone_profile": draw(json_values)},
        "video": {
            "title": draw(st.one_of(st.none(), text)),
            "status": draw(st.sampled_from(STATUSES)),
            "published_at": draw(times),
            "created_at": draw(times),
        },
        "tasks": [
            {
                "type": draw(st.sampled_from(TASKS)),
                "status": draw(st.sampled_from(TASK_STATUSES)),
                "payload": draw(payloads),
                "created_at": draw(times),
            }
            for _ in range(draw(st.integers(1, 3)))
        ],
        "artifacts": [
            {"kind": draw(st.sampled_from(KINDS)), "s3_path": draw(s3_paths)}
            for _ in range(draw(st.integers(0, 3)))
        ],
        "report": {
            "score": draw(st.one_of(st.none(), st.floats(0, 1))),
            "issues": draw(issues_documents),
            "created_at": draw(times),
        },
        "receipt": {
            "channel": draw(st.one_of(st.sampled_from(["youtube", "gone"]), text)),
            "status": draw(st.sampled_from(RECEIPT_STATUSES)),
            "remote_id": draw(st.one_of(st.none(), text)),
            "timestamp": draw(times),
        },
    }


def insert(table: str, values: dict) -> str:
    """INSERT as a pipeline service does: plain SQL, database defaults for the rest."""
    names = [name for name, value in values.items() if value is not None]
    params = [
        json.dumps(values[name]) if isinstance(values[name], (dict, list)) else values[name]
        for name in names
    ]
    key = {"personas": "persona_id", "videos": "video_id", "tasks": "task_id"}.get(table, "1")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(names)}) "
            f"VALUES ({', '.join(['%s'] * len(names))}) RETURNING {key}",
            params,
        )
        return cursor.fetchone()[0]


class RawJSON(str):
    """JSON text written as it is: numbers Python cannot print, which json.dumps refuses."""


HUGE = "9" * 5000  # past Python's 4,300-digit limit on int(); Postgres jsonb takes it


def jsonb(value) -> str:
    """Any JSON value (a bare string or number too) as jsonb text."""
    return value if isinstance(value, RawJSON) else json.dumps(value, ensure_ascii=False)


def write(made: dict) -> dict:
    persona = insert(
        "personas", {**made["persona"], "tone_profile": jsonb(made["persona"]["tone_profile"])}
    )
    video = insert("videos", {**made["video"], "persona_id": persona})
    tasks = [
        insert("tasks", {**task, "payload": jsonb(task["payload"]), "video_id": video})
        for task in made["tasks"]
    ]
    for artifact in made["artifacts"]:
        insert("artifacts", {**artifact, "video_id": video})
    report = made["report"]
    insert(
        "safety_reports",
        {
            **report,
            "issues": jsonb(report["issues"]),
            "task_id": tasks[0],
            "requires_human_review": True,
        },
    )
    insert("publish_receipts", {**made["receipt"], "video_id": video})
    return {"persona": persona, "video": video, "task": tasks[0]}


def pages(keys: dict) -> list[str]:
    report = SafetyReport.objects.get(task_id=keys["task"]).pk
    video = keys["video"]
    return [
        "/admin/safety/reviewqueueitem/",
        "/admin/safety/reviewqueueitem/?state=escalated",
        f"/admin/safety/reviewqueueitem/{report}/review/",
        "/admin/safety/safetyreport/",
        f"/admin/safety/safetyreport/{report}/change/",
        f"/admin/videos/video/{video}/timeline/",
        f"/admin/videos/video/{video}/change/",
        "/admin/videos/video/",
        "/admin/videos/task/",
        f"/admin/videos/task/{keys['task']}/change/",
        "/admin/videos/artifact/",
        "/admin/videos/artifact/gallery/",
        f"/admin/personas/persona/{keys['persona']}/change/",
        "/admin/publishing/readyvideo/",
        f"/admin/publishing/readyvideo/{video}/approve/",
        "/admin/publishing/publishreceipt/",
        "/admin/publishing/publishfailure/",
        "/admin/",
    ]


def plain(*, issues=None, payload=None, **video) -> dict:
    """Rows of an ordinary shape but for what is given."""
    return {
        "persona": {"name": "p", "tone_profile": {"voice": "warm"}},
        "video": {"title": "t", "status": "in_review", "published_at": None, "created_at": None}
        | video,
        "tasks": [{"type": "safety_check", "status": "succeeded", "payload": payload or {}}],
        "artifacts": [],
        "report": {"score": 0.5, "issues": issues or [], "created_at": None},
        "receipt": {"channel": "youtube", "status": "failed", "remote_id": None, "timestamp": None},
    }


# Shapes that broke pages once (issue 10), tried first on every run.
@example(made=plain(issues=[{"category": "spam", "severity": ["high"]}]))
@example(made=plain(issues=[{"category": "c", "severity": "low", "evidence": {"start": 10**400}}]))
@example(made=plain(issues=42))
@example(made=plain(payload={"started_at": "0001-01-01T00:00:00+14:00"}))
@fuzz(max_examples=30)
@given(made=st.composite(rows_of_every_kind)())
def test_every_page_renders_rows_the_pipeline_wrote_in_any_shape(superuser_client, made):
    with case("pipeline rows: pages"):
        keys = write(made)
        for url in pages(keys):
            response = send(superuser_client, "pipeline rows: pages", "get", url)
            assert response.status_code in (200, 302), (url, response.status_code)


def test_script_the_pipeline_wrote_is_shown_escaped_on_every_page(superuser_client):
    made = plain(
        issues=[{"category": SCRIPT, "severity": SCRIPT, "message": SCRIPT, SCRIPT: SCRIPT}],
        payload={"e": SCRIPT},
        title=SCRIPT,
        status="ready",
    )
    made["persona"] = {"name": SCRIPT, "tone_profile": {"voice": SCRIPT}}
    made["artifacts"] = [{"kind": "script", "s3_path": f"s3://contentops/{SCRIPT}"}]
    made["receipt"] |= {"channel": SCRIPT, "remote_id": SCRIPT}
    escaped = "&lt;script&gt;fz()&lt;/script&gt;"
    with case("pipeline rows: pages"):
        keys = write(made)
        shown = {
            url: send(superuser_client, "pipeline rows: pages", "get", url) for url in pages(keys)
        }
        review, timeline = (url for url in shown if url.endswith(("/review/", "/timeline/")))
        for url in (review, timeline):
            assert escaped in shown[url].content.decode(), url


@fuzz(max_examples=10)
@given(
    moment=st.sampled_from(
        ["4713-01-01 00:00:00+00 BC", "0001-01-01 00:00:00+00", "10000-01-01 00:00:00+00"]
        + ["294276-12-31 00:00:00+00", "infinity", "-infinity", "9999-12-31 23:59:59-14"]
    ),
    column=st.sampled_from(["video.created_at", "video.published_at", "receipt.timestamp"])
    | st.sampled_from(["task.created_at", "report.created_at"]),
)
def test_pages_render_rows_with_timestamps_python_cannot_hold(superuser_client, moment, column):
    """Postgres takes timestamps Python's datetime cannot hold (before year 1,
    after 9999, +-infinity); a row the pipeline wrote with one must not take
    every page that lists it down."""
    table, name = column.split(".")
    made = plain()
    target = made["tasks"][0] if table == "task" else made[table]
    target[name] = moment
    with case("pipeline rows: timestamps Python cannot hold"):
        keys = write(made)
        for url in pages(keys):
            send(superuser_client, "pipeline rows: timestamps Python cannot hold", "get", url)


@pytest.mark.parametrize("column", ["issues", "payload", "tone_profile"])
def test_pages_render_json_with_numbers_past_what_python_reads(superuser_client, column):
    """A jsonb number of 5,000 digits is valid JSON that Postgres stores and
    Python's json.loads refuses (ValueError, not JSONDecodeError)."""
    made = plain()
    document = RawJSON(f'[{{"category": "c", "severity": "low", "n": {HUGE}}}]')
    if column == "issues":
        made["report"]["issues"] = document
    elif column == "payload":
        made["tasks"][0]["payload"] = RawJSON(f'{{"n": {HUGE}}}')
    else:
        made["persona"]["tone_profile"] = RawJSON(f'{{"n": {HUGE}}}')
    with case("pipeline rows: numbers Python cannot read"):
        keys = write(made)
        for url in pages(keys):
            send(superuser_client, "pipeline rows: numbers Python cannot read", "get", url)
