"""Figures of the reliability suites (fuzz, permission matrix, faults) for docs/reliability.md.

Each suite records what it tried and what went wrong; when a run included
every suite (a whole `make test`), the session's end writes docs/reliability.md
from them, so the document always states the last full run.
"""

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"
SUITES = ("fuzz", "permissions", "faults")

# What each suite does and how to run it again, at the top of the document.
INTRO = {
    "fuzz": (
        "Hypothesis generates ordinary, hostile and malformed values for every admin form, "
        "changelist query string, action and custom endpoint, and inserts pipeline rows of "
        "generated shapes with plain SQL; every answer must be a page or a clear refusal "
        "(never a 500), and a refusal must change nothing.",
        "make test PYTEST_ARGS=tests/fuzz",
    ),
    "permissions": (
        "Every URL of the admin, read from Django's URL resolver (custom pages included), is "
        "requested by GET and POST as anonymous, staff viewer, editor, moderator, a moderator "
        "without take-over, lead and superuser, with real rows; each answer must be the one "
        "`MATRIX` in the test states (a URL missing from it fails), and a refused POST, or any "
        "POST on what the pipeline wrote, must leave every table as it was. An escape is a "
        "role reaching a page or an effect it must not.",
        "make test PYTEST_ARGS=tests/admin/test_url_permissions.py",
    ),
    "faults": (
        "Each module starts its own Postgres cluster and SeaweedFS (temp folders, free "
        "ports) and runs the app as processes against them (migrate, runserver, "
        "publish_worker on a local channel), then breaks them: Postgres restarted and "
        "stopped while pages load and while two workers publish; S3 killed under the "
        "gallery, the review page, an upload and a publish; a webhook channel that hangs, "
        "redirects or answers garbage. Pages must answer 200 or the 503 page, never a 500; "
        "every approval must be published exactly once, and never through a redirect.",
        "make test PYTEST_ARGS=tests/faults",
    ),
}
COUNTERS = ("cases", "errors_500", "lost_writes", "duplicated_writes", "escapes")


@dataclass
class Figures:
    cases: int = 0
    errors_500: int = 0
    lost_writes: int = 0
    duplicated_writes: int = 0
    escapes: int = 0
    notes: list = field(default_factory=list)


_figures: dict[str, dict[str, Figures]] = defaultdict(dict)


def record(suite: str, part: str, *, note: str | None = None, **counts: int) -> None:
    """Add `counts` (COUNTERS) to `part` of `suite`; `note` says what a fault did."""
    assert suite in SUITES, suite
    figures = _figures[suite].setdefault(part, Figures())
    for name, value in counts.items():
        assert name in COUNTERS, name
        setattr(figures, name, getattr(figures, name) + value)
    if note and note not in figures.notes:
        figures.notes.append(note)


def snapshot() -> dict:
    return {suite: {p: asdict(f) for p, f in parts.items()} for suite, parts in _figures.items()}


def write_document(path: Path = DOC) -> bool:
    """Write the document if every suite recorded something; True if written."""
    if any(suite not in _figures for suite in SUITES):
        return False
    lines = [
        "# Reliability: the last full run",
        "",
        f"Written by `make test` ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC) from what the fuzz, "
        "permission-matrix and fault-injection suites tried. Every count of 500s, lost or "
        "duplicated writes and permission escapes is expected to be 0; the suites fail otherwise.",
        "",
        "| suite | what it does | run it again |",
        "| --- | --- | --- |",
        *(f"| {suite} | {what} | `{command}` |" for suite, (what, command) in INTRO.items()),
        "",
        "A run that leaves a suite out does not rewrite this file; `make test` (every suite, all "
        "passing) does. `docs/reliability.json` holds the same figures.",
        "",
    ]
    for suite in SUITES:
        lines += [
            f"## {suite}",
            "",
            "| part | cases | 500s | lost | duplicated | escapes | what happened |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for part, f in sorted(_figures[suite].items()):
            notes = "; ".join(f.notes).replace("|", "\\|")
            lines.append(
                f"| {part} | {f.cases} | {f.errors_500} | {f.lost_writes} | "
                f"{f.duplicated_writes} | {f.escapes} | {notes} |"
            )
        lines.append("")
    path.write_text("\n".join(lines))
    path.with_suffix(".json").write_text(json.dumps(snapshot(), indent=1, sort_keys=True))
    return True
