"""The review page of one report: its score and issues, the video, persona and
script, its log and the video's earlier reports."""

import uuid
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from safety import services
from tests.factories import (
    ArtifactFactory,
    PersonaFactory,
    VideoFactory,
)
from tests.helpers import attribute, decide, html, pending, select, select_one, text
from tests.safety.pages import review_url
from videos.models import ArtifactKind, VideoStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sla", "warm_content_types")]


# The review page

RENDER_BYTES = (Path(__file__).resolve().parents[2] / "seeding/demo_media/render.webm").read_bytes()
SCRIPT = (
    "TEN FACTS ABOUT OCTOPUSES\n"
    "[BODY 0:05]\n"
    "Octopuses have three hearts.\n"
    "Then he swings the bat at the tank.\n"
    "[OUTRO 0:40]\n"
)


@pytest.fixture
def reviewed(moderator, colleague, s3_media):
    """A report with evidence, unknown keys, a script in S3, a log and an earlier report."""
    video = VideoFactory(
        title="Ten facts about octopuses",
        status=VideoStatus.IN_REVIEW,
        persona=PersonaFactory(
            name="Ocean Explainers",
            tone_profile={"voice": "calm", "pace": "slow", "taboo": ["sharks"]},
        ),
    )
    ArtifactFactory(
        video=video,
        kind=ArtifactKind.SCRIPT,
        s3_path=s3_media("script.txt", SCRIPT.encode()),
    )
    ArtifactFactory(
        video=video, kind=ArtifactKind.RENDER, s3_path=s3_media("render.webm", RENDER_BYTES)
    )
    earlier = pending(task__video=video, age=600, score=0.3)
    decide(earlier, colleague, reason="false_positive")
    # Added after that approval: S3 could not have confirmed a missing file.
    ArtifactFactory(
        video=video,
        kind=ArtifactKind.THUMBNAIL,
        s3_path=f"s3://{default_storage.bucket_name}/tests/gone/thumbnail.png",
    )
    report = pending(
        task__video=video,
        age=20,
        score=0.83,
        issues=[
            {
                "category": "violence",
                "severity": "high",
                "message": "A swing at the tank",
                "evidence": {
                    "artifact": "render",
                    "start": 12.5,
                    "end": 14,
                    "excerpt": "he swings the bat",
                    "frame": 312,
                },
                "detector": "vision-v7",
            },
            {"category": "hate", "severity": "low", "evidence": "see transcript"},
        ],
    )
    services.claim(report_id=report.pk, moderator=moderator)
    return report


def test_review_page_shows_the_score_and_every_issue_with_its_evidence(
    client_for, moderator, reviewed
):
    page = html(client_for(moderator).get(review_url(reviewed)))

    assert text(select_one(page, "#report-score")) == "0.83"
    violence, hate = select(page, "#issues li.issue")
    assert text(violence).startswith("high violence : A swing at the tank")
    seek = select_one(violence, "button.seek[data-start]")
    assert (attribute(seek, "data-start"), attribute(seek, "data-artifact")) == ("12.5", "render")
    assert text(seek) == "▶ 12.5s–14.0s in render"
    assert text(select_one(violence, "blockquote.excerpt")) == "“he swings the bat”"
    assert text(select_one(violence, "dl.extra")) == "detector vision-v7 evidence.frame 312"
    # Evidence that is not an object is kept as it came.
    assert select(hate, "button.seek") == []
    assert text(select_one(hate, "dl.extra")) == "evidence see transcript"


def test_review_page_shows_the_video_persona_tone_and_the_script_with_quotes_marked(
    client_for, moderator, reviewed
):
    page = html(client_for(moderator).get(review_url(reviewed)))

    assert text(select_one(page, "#video-title")) == "Ten facts about octopuses"
    assert "Persona Ocean Explainers" in text(select_one(page, ".review-video dl.facts"))
    # jsonb keeps keys by length, then bytes.
    assert text(select_one(page, "details.tone dl")) == 'pace slow taboo ["sharks"] voice calm'
    script = select_one(page, "#script-text")
    assert [text(mark) for mark in select(script, "mark")] == ["he swings the bat"]
    assert "Octopuses have three hearts." in text(script)
    assert select(page, "#review-media video") != []
    # A thumbnail whose object S3 no longer has is marked, not a broken image.
    missing = select_one(page, "#review-media .media-thumbnail .artifact-missing")
    assert text(missing).startswith("Missing")


def test_review_page_shows_the_log_and_earlier_reports_with_their_decisions(
    client_for, moderator, reviewed
):
    page = html(client_for(moderator).get(review_url(reviewed)))

    log = select(page, "#review-log tr")
    assert len(log) == 1 and "moderator Claim" in text(log[0])
    earlier = select(page, "#earlier-reports tr")
    assert len(earlier) == 1
    assert "score 0.3 Approved Approve by colleague (false_positive)" in text(earlier[0])
    assert text(select_one(page, "#review-claim")).startswith("You hold this report until")


def test_review_page_says_when_the_script_is_missing_from_s3(client_for, moderator):
    report = pending()
    ArtifactFactory(
        video=report.task.video,
        kind=ArtifactKind.SCRIPT,
        s3_path=f"s3://{default_storage.bucket_name}/tests/{uuid.uuid4().hex}/gone.txt",
    )
    response = client_for(moderator).get(review_url(report))
    assert response.status_code == 200
    assert "missing" in text(select_one(html(response), ".media-script")).lower()
