"""What changed in an approved video since its approval, read from its task's
payload (what was approved) and the database (what is there now). The worker
publishes only what is unchanged; the sweep voids the others.
"""

from publishing.payload import Approval
from publishing.payload import parse as parse_payload
from videos.models import Artifact, Task


def is_approval(payload) -> bool:
    return parse_payload(payload).problem is None


def approved_etags(payload: dict) -> dict:
    """The ETags an approval read (artifact id -> ETag), from its task's payload:
    the clearance check compares them with the ones its moderator saw."""
    return {
        entry["id"]: entry["etag"]
        for entry in payload.get("artifacts", [])
        if isinstance(entry, dict)
        and isinstance(entry.get("id"), str)
        and isinstance(entry.get("etag"), str)
    }


FILES_CHANGED = "its files changed"


def content_changes(
    task: Task, current: list[Artifact], approved: Approval | None = None
) -> str | None:
    """What changed in the video since its approval, read from the database
    (`approved`: the task's payload, parsed, when the caller has it)."""
    approved = approved or parse_payload(task.payload).approval
    if approved is None:
        return "its approval cannot be read"
    video = task.video
    if approved.title != video.title:
        return "its title changed"
    if approved.persona_id != (str(video.persona_id) if video.persona_id else None):
        return "its persona changed"
    if approved.file_set() != {(str(a.pk), a.s3_path) for a in current}:
        return FILES_CHANGED
    return None
