"""Clearance: whether a video's safety reviews clear the files that would go out.

A safety decision is about files. Every decision records what the review page
showed (`snapshot`: each artifact's id, kind, path and S3 ETag, and the video's
version), and a video is cleared only while

1. its reports' verdicts clear it (`verdict_problem`), and
2. the files that would go out (`publish_set`) are those its newest clearing
   event judged:
   - a moderator's approval with a snapshot: the same artifact ids, kinds and
     paths, and, when the caller read S3 (`etags`), the same ETags;
   - the pipeline's newest report that needed no human (or an approval made
     before decisions recorded files): the files as they were when it was
     written. No file that goes out was created after it, and the outbox (the
     `artifacts` trigger) holds no update or delete of the video's artifacts
     after it. Nobody read S3 for it, so ETags are bound from the editor's
     approval on (the publish task's payload), not before.

`clearance_problem` is the one question every page, operation and the worker
asks; `changed_files_problem` is its part that means "a reviewed file changed",
on which publishing lapses the clearance.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from safety.models import ActionKind, ArtifactChange, ReviewAction, ReviewStatus, SafetyReport
from videos import storage
from videos.models import Artifact, ArtifactKind

# What goes out to a channel: the newest artifact of each kind. A render is required.
PUBLISHED_KINDS = (ArtifactKind.RENDER, ArtifactKind.THUMBNAIL, ArtifactKind.SCRIPT)
REQUIRED_KIND = ArtifactKind.RENDER
NEEDS_REVIEW = "The video needs a new safety review."


def publish_set(video_id) -> list[Artifact]:
    """The newest artifact of each published kind, in PUBLISHED_KINDS order: one query."""
    return publish_sets([video_id]).get(video_id, [])


def publish_sets(video_ids) -> dict:
    """`publish_set` of several videos at once (video id -> files): one query."""
    newest = (
        Artifact.objects.filter(video_id__in=list(video_ids), kind__in=PUBLISHED_KINDS)
        .order_by("video_id", "kind", "-created_at", "-pk")
        .distinct("video_id", "kind")
    )
    rank = {kind: n for n, kind in enumerate(PUBLISHED_KINDS)}
    sets = {}
    for artifact in newest:
        sets.setdefault(artifact.video_id, []).append(artifact)
    return {video: sorted(files, key=lambda a: rank[a.kind]) for video, files in sets.items()}


def fingerprint(artifacts) -> str:
    """Names exactly these files: a page carries it, so a person acts on what they saw."""
    return _digest((a.kind, a.pk, a.s3_path) for a in artifacts)


def snapshot_fingerprint(seen: dict) -> str:
    """`fingerprint` of the files a `snapshot` names."""
    return _digest((f["kind"], f["id"], f["s3_path"]) for f in seen["files"])


def _digest(files) -> str:
    parts = sorted(f"{kind}:{pk}:{path}" for kind, pk, path in files)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def video_files(video_id) -> list[Artifact]:
    """Every artifact of the video, as the review page shows them: one query."""
    return list(Artifact.objects.filter(video_id=video_id).order_by("kind", "-created_at", "pk"))


def verdict_problem(verdicts) -> str | None:
    """Why reports' verdicts, (requires_human_review, review_status) pairs, do not clear.

    A report the pipeline did not send to a human clears the video; one it
    did must be approved by a moderator (pending or escalated does not clear).
    """
    verdicts = set(verdicts)
    if any(status == ReviewStatus.REJECTED for _, status in verdicts):
        return "A safety report on this video was rejected."
    if any(
        status == ReviewStatus.ESCALATED or (needs_human and status is None)
        for needs_human, status in verdicts
    ):
        return "A safety report on this video is still waiting for a moderator."
    return None


# What a decision saw


def snapshot(video_id, *, version: int | None = None) -> dict:
    """What a decision judges: the video's files, each with what S3 says of it now.

    S3 is asked afresh (an object overwritten in place has a new ETag), about
    all the files at once; a file S3 did not confirm keeps `etag` None and says
    why in `problem`.
    """
    outgoing = {a.pk for a in publish_set(video_id)}
    artifacts = video_files(video_id)
    infos = storage.object_infos(artifacts, fresh=True)
    files = []
    for artifact in artifacts:
        etag, problem = _etag(infos[artifact.pk])
        entry = {
            "id": str(artifact.pk),
            "kind": artifact.kind,
            "s3_path": artifact.s3_path,
            "etag": etag,
            "outgoing": artifact.pk in outgoing,
        }
        if problem:
            entry["problem"] = problem
        files.append(entry)
    return {"video_version": version, "files": files}


def _etag(answer: storage.Answer) -> tuple[str | None, str | None]:
    try:
        info = answer.result()
    except storage.StorageUnavailable as error:
        return None, str(error)
    except storage.InvalidS3Path as error:
        return None, str(error)
    if info is None:
        return None, "missing in S3"
    return info.etag, None


def unconfirmed_problem(seen: dict) -> str | None:
    """Why an approval cannot rest on this snapshot: a file S3 did not confirm."""
    for entry in seen["files"]:
        if entry["etag"] is None:
            return (
                f"S3 could not confirm the {entry['kind'] or 'file'} {entry['s3_path']} "
                f"({entry.get('problem', 'no answer')}), so nobody can tell what you approve. "
                "Your decision was not recorded; try again."
            )
    return None


@dataclass(frozen=True)
class SeenFile:
    id: str
    kind: str
    s3_path: str
    etag: str | None
    outgoing: bool
    problem: str = ""


@dataclass
class Seen:
    """A decision's `files_seen` as read back: what it understood and what not."""

    version: int | None = None
    files: list[SeenFile] = field(default_factory=list)
    unreadable: list = field(default_factory=list)


def read_snapshot(value) -> Seen | None:
    """`files_seen` of any shape, for pages and checks; None when nothing was recorded."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return Seen(unreadable=[value])
    version = value.get("video_version")
    seen = Seen(version=version if type(version) is int else None)
    if version is not None and seen.version is None:
        seen.unreadable.append({"video_version": version})
    entries = value.get("files")
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("id", "kind")):
            etag = entry.get("etag")
            seen.files.append(
                SeenFile(
                    id=entry["id"],
                    kind=entry["kind"],
                    s3_path=str(entry.get("s3_path")),
                    etag=etag if isinstance(etag, str) else None,
                    outgoing=entry.get("outgoing") is True,
                    problem=str(entry.get("problem") or ""),
                )
            )
        elif entry is not None:
            seen.unreadable.append(entry)
    return seen


# Whether the video is cleared


@dataclass(frozen=True)
class Basis:
    """The newest event that cleared the video: a decision's snapshot, or a time."""

    at: datetime | None
    by: str
    seen: Seen | None = None  # None: the files as they were at `at`

    @property
    def when(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M}" if self.at else "an unknown time"


def clearance_problem(video_id, *, etags: dict | None = None) -> str | None:
    """Why the video is not cleared for publishing, or None. See the module's rule.

    `etags` (artifact id -> ETag S3 holds now) makes the check see objects
    overwritten in place; without it, ids, kinds and paths are compared.
    """
    reports = _reports(video_id)
    problem = verdict_problem((needs, status) for needs, status, _ in reports)
    if problem:
        return problem
    basis = _basis(video_id, reports)
    if basis is None:
        return "No safety report clears this video's files."
    return _files_problem(video_id, basis, etags)


def changed_files_problem(video_id, *, etags: dict | None = None) -> str | None:
    """`clearance_problem`'s part that says a file changed since it was cleared:
    the reason a clearance lapses. None when the files are as cleared, or when
    nothing cleared the video (then there is nothing to lapse)."""
    reports = _reports(video_id)
    basis = _basis(video_id, reports)
    return _files_problem(video_id, basis, etags) if basis else None


def cleared_at(video_id) -> datetime | None:
    """When the newest event that cleared the video happened, if one did."""
    basis = _basis(video_id, _reports(video_id))
    return basis.at if basis else None


def _reports(video_id) -> list[tuple]:
    return list(
        SafetyReport.objects.filter(task__video_id=video_id).values_list(
            "requires_human_review", "review_status", "created_at"
        )
    )


def _basis(video_id, reports) -> Basis | None:
    pipeline = [
        created
        for needs, status, created in reports
        if needs is not True and status is None and created is not None
    ]
    decision = (
        ReviewAction.objects.filter(report__task__video_id=video_id, kind=ActionKind.APPROVE)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    newest_report = max(pipeline, default=None)
    if decision is not None and (newest_report is None or decision.created_at >= newest_report):
        by = f"moderator {decision.actor.get_username()}"
        return Basis(decision.created_at, by, read_snapshot(decision.files_seen))
    if newest_report is not None:
        return Basis(newest_report, "the pipeline's safety report")
    return None


def _files_problem(video_id, basis: Basis, etags: dict | None) -> str | None:
    files = publish_set(video_id)
    if basis.seen is None:
        return _changed_since(video_id, basis, files)
    return _differs_from_seen(basis, files, {str(k): v for k, v in (etags or {}).items()})


def _differs_from_seen(basis: Basis, files, etags: dict) -> str | None:
    cleared = f"{basis.by} cleared the video ({basis.when})"
    seen = {f.id: f for f in basis.seen.files if f.outgoing}
    for artifact in files:
        entry = seen.pop(str(artifact.pk), None)
        if entry is None or entry.kind != artifact.kind:
            return (
                f"The {artifact.kind} {artifact.s3_path} is not a file {basis.by} saw when "
                f"clearing the video ({basis.when}): it was added or replaced since. {NEEDS_REVIEW}"
            )
        if entry.s3_path != artifact.s3_path:
            return (
                f"The {artifact.kind} changed after {cleared}: {entry.s3_path} is now "
                f"{artifact.s3_path}. {NEEDS_REVIEW}"
            )
        if str(artifact.pk) in etags and etags[str(artifact.pk)] != entry.etag:
            return (
                f"The {artifact.kind} {artifact.s3_path} was overwritten in S3 after {cleared}. "
                f"{NEEDS_REVIEW}"
            )
    if seen:
        gone = next(iter(seen.values()))
        return (
            f"The {gone.kind} {gone.s3_path} that {basis.by} cleared ({basis.when}) is no "
            f"longer the one that would go out. {NEEDS_REVIEW}"
        )
    return None


def _changed_since(video_id, basis: Basis, files) -> str | None:
    for artifact in files:
        if artifact.created_at is None or artifact.created_at > basis.at:
            return (
                f"The {artifact.kind} {artifact.s3_path} was added after {basis.by} cleared "
                f"the video ({basis.when}). {NEEDS_REVIEW}"
            )
    changed = ArtifactChange.objects.filter(
        video_id=video_id, operation__in=["UPDATE", "DELETE"], changed_at__gt=basis.at
    ).exists()
    if changed:
        return (
            f"The video's files were changed after {basis.by} cleared it ({basis.when}). "
            f"{NEEDS_REVIEW}"
        )
    return None
