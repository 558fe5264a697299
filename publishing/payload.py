"""Reading a publish task's payload.

`approval.publish_payload` writes it, but the tasks table is open to every
program with SQL access, so the worker reads it as data from elsewhere: one
parser that returns what it understood, or a problem naming what it did not.
A task whose payload has a problem fails with that problem; it never raises
in the worker.
"""

import uuid
from dataclasses import dataclass

# Longer strings than these are no approval of ours.
LONGEST_TEXT = 10_000
LONGEST_ARTIFACTS = 50


@dataclass(frozen=True)
class ApprovedFile:
    id: str  # a UUID, as text
    s3_path: str
    etag: str | None


@dataclass(frozen=True)
class Approval:
    """What an editor approved, as the task's payload records it."""

    receipt_id: str | None
    approved_at: str | None
    approved_by: str  # the editor's username, "" when unknown
    title: str | None
    persona_id: str | None
    files: tuple[ApprovedFile, ...]

    def file_set(self) -> set[tuple[str, str]]:
        return {(f.id, f.s3_path) for f in self.files}

    def etag(self, artifact_id) -> str | None:
        return next((f.etag for f in self.files if f.id == str(artifact_id)), None)


@dataclass(frozen=True)
class Parsed:
    approval: Approval | None
    problem: str | None


def parse(payload) -> Parsed:
    """The approval a publish task's payload records, or why it records none."""
    try:
        return Parsed(_approval(payload), None)
    except _Malformed as malformed:
        return Parsed(None, f"This publish task was not made by an approval: {malformed}.")


def approval_problem(payload) -> str | None:
    """Why the payload is not an approval the worker can publish, or None."""
    return parse(payload).problem


class _Malformed(Exception):
    pass


def _approval(payload) -> Approval:
    if not isinstance(payload, dict):
        raise _Malformed(f"it is {_kind(payload)}, not an object")
    artifacts = payload.get("artifacts")
    if not isinstance(artifacts, list):
        raise _Malformed(f'"artifacts" is {_kind(artifacts)}, not a list')
    if len(artifacts) > LONGEST_ARTIFACTS:
        raise _Malformed(f'"artifacts" holds {len(artifacts)} files')
    return Approval(
        receipt_id=_uuid(payload.get("receipt_id"), "receipt_id", optional=True),
        approved_at=_text(payload.get("approved_at"), "approved_at", optional=True),
        approved_by=_editor(payload.get("approved_by")),
        title=_text(payload.get("title"), "title", optional=True),
        persona_id=_uuid(payload.get("persona_id"), "persona_id", optional=True),
        files=tuple(_file(item, n) for n, item in enumerate(artifacts)),
    )


def _editor(by) -> str:
    if by is None:
        return ""
    if not isinstance(by, dict):
        raise _Malformed(f'"approved_by" is {_kind(by)}, not an object')
    return _text(by.get("username"), "approved_by.username", optional=True) or ""


def _file(item, n: int) -> ApprovedFile:
    where = f"artifacts[{n}]"
    if not isinstance(item, dict):
        raise _Malformed(f"{where} is {_kind(item)}, not an object")
    return ApprovedFile(
        id=_uuid(item.get("id"), f"{where}.id"),
        s3_path=_text(item.get("s3_path"), f"{where}.s3_path"),
        etag=_text(item.get("etag"), f"{where}.etag", optional=True),
    )


def _text(value, where: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _Malformed(f"{where} is {_kind(value)}, not text")
    if len(value) > LONGEST_TEXT:
        raise _Malformed(f"{where} is {len(value)} characters long")
    return value


def _uuid(value, where: str, *, optional: bool = False) -> str | None:
    text = _text(value, where, optional=optional)
    if text is None:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise _Malformed(f"{where} is not a UUID") from None


def _kind(value) -> str:
    """A value's JSON type, for a message (never the value: it may be huge)."""
    if value is None:
        return "missing or null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
