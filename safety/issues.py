"""The `issues` document of a safety report: a list of objects, each with at
least `category` and `severity`, optionally `message` and `evidence`."""

import json
import math
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from safety.models import SEVERITY_RANK, Severity

KNOWN_KEYS = ("category", "severity", "message", "evidence")


def validate_issues(value) -> None:
    if not isinstance(value, list):
        raise ValidationError("Issues must be a JSON list of objects ([{…}, …]).", code="shape")
    problems = []
    for number, issue in enumerate(value, start=1):
        if not isinstance(issue, dict):
            problems.append(f"issue {number} is not an object")
            continue
        for key in ("category", "severity"):
            if not issue.get(key):
                problems.append(f"issue {number} has no {key}")
        severity = issue.get("severity")
        if severity and severity not in Severity.values:
            problems.append(
                f"issue {number} has severity {severity!r}, not one of {', '.join(Severity.values)}"
            )
        evidence = issue.get("evidence")
        if evidence is not None and not isinstance(evidence, (dict, list)):
            problems.append(f"issue {number} has evidence that is not an object or list")
    if problems:
        # Not str.capitalize(): it would lowercase the values the message quotes.
        text = "; ".join(problems)
        raise ValidationError(text[0].upper() + text[1:] + ".", code="shape")


# Reading what the pipeline wrote: validate_issues above refuses a bad document
# typed into a form; parse_issues below shows any document the pipeline stored,
# whatever its shape, without raising.

# An evidence time past a day into a video is no place a player can seek to.
MAX_SECONDS = 24 * 3600
EVIDENCE_KEYS = ("artifact", "start", "end", "excerpt")
TEXT_FIELDS = ("category", "severity", "message")
UNREADABLE = "unreadable issue"


@dataclass(frozen=True)
class Moment:
    """An evidence time as the pipeline gave it; `seconds` only when it is one."""

    given: str
    seconds: float | None

    @property
    def is_time(self) -> bool:
        return self.seconds is not None


@dataclass
class Issue:
    """One issue as a person reads it. Values that are not the expected text
    are shown as JSON and named in `malformed`; keys we do not know are kept in
    `extra`; `unreadable` marks an entry (or document) that is not an object."""

    category: str = "?"
    severity: str = "?"
    message: str = ""
    artifact: str = ""
    start: Moment | None = None
    end: Moment | None = None
    excerpt: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    malformed: tuple[str, ...] = ()
    unreadable: bool = False

    @property
    def severity_known(self) -> bool:
        return "severity" not in self.malformed and self.severity.lower() in SEVERITY_RANK

    @property
    def severity_class(self) -> str:
        """The vocabulary's word for the severity, for styling: `unknown` if none."""
        return self.severity.lower() if self.severity_known else "unknown"

    @property
    def rank(self) -> int:
        return _severity_rank(self.severity, is_text="severity" not in self.malformed)

    @property
    def seekable(self) -> bool:
        return self.start is not None and self.start.is_time

    @property
    def label(self) -> str:
        return UNREADABLE if self.unreadable else _label(self.category, self.severity)


def parse_issues(document) -> list[Issue]:
    """Every issue of a report's `issues`, whatever the document holds."""
    if document is None:
        return []
    if not isinstance(document, list):
        return [Issue(unreadable=True, extra={"issues": as_text(document)})]
    return [
        _issue(entry)
        if isinstance(entry, dict)
        else Issue(unreadable=True, extra={"value": as_text(entry)})
        for entry in document
    ]


def issues_summary(document, *, worst_first: bool = False, limit: int | None = None) -> str:
    """`category (severity), …` for a column, optionally worst first and cut at
    `limit` with a count of the rest."""
    issues = _ranked_labels(document)
    if worst_first:
        issues.sort(key=lambda issue: issue[0], reverse=True)
    shown = issues if limit is None else issues[:limit]
    rest = len(issues) - len(shown)
    return ", ".join(label for _, label in shown) + (f" +{rest}" if rest else "")


def _ranked_labels(document) -> list[tuple[int, str]]:
    """(rank, label) of each issue, as `parse_issues` would give them, reading
    only the category and severity: a list column shows nothing else, and
    parsing whole issues was a quarter of the review queue's rows."""
    if document is None:
        return []
    if not isinstance(document, list):
        return [(0, UNREADABLE)]
    return [
        _ranked_label(entry) if isinstance(entry, dict) else (0, UNREADABLE) for entry in document
    ]


def _ranked_label(entry: dict) -> tuple[int, str]:
    category, severity = (as_text(entry.get(name, "?")) for name in ("category", "severity"))
    is_text = isinstance(entry.get("severity", "?"), str)
    return _severity_rank(severity, is_text=is_text), _label(category, severity)


def _severity_rank(severity: str, *, is_text: bool) -> int:
    """As the queue's SQL ranks it (safety_max_severity): case-insensitive,
    and unknown severities (or a severity that is not text) lowest, below `low`."""
    return SEVERITY_RANK.get(severity.lower(), 0) if is_text else 0


def _label(category: str, severity: str) -> str:
    return f"{_short(category)} ({_short(severity)})"


def _issue(entry: dict) -> Issue:
    texts = {name: entry[name] for name in TEXT_FIELDS if name in entry}
    malformed = [name for name, value in texts.items() if not isinstance(value, str)]
    extra = {str(key): as_text(value) for key, value in entry.items() if key not in KNOWN_KEYS}
    evidence = entry.get("evidence")
    if isinstance(evidence, dict):
        extra.update(
            {f"evidence.{k}": as_text(v) for k, v in evidence.items() if k not in EVIDENCE_KEYS}
        )
        for name in ("artifact", "excerpt"):
            if name in evidence and not isinstance(evidence[name], str):
                malformed.append(name)
    else:
        if evidence is not None:
            extra["evidence"] = as_text(evidence)
        evidence = {}
    return Issue(
        **{name: as_text(value) for name, value in texts.items()},
        artifact=as_text(evidence.get("artifact", "")),
        start=_moment(evidence.get("start")),
        end=_moment(evidence.get("end")),
        excerpt=as_text(evidence.get("excerpt", "")),
        extra=extra,
        malformed=tuple(malformed),
    )


def _moment(value) -> Moment | None:
    return None if value is None else Moment(given=as_text(value), seconds=_seconds(value))


def _seconds(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    if isinstance(value, int) and abs(value) > MAX_SECONDS:
        return None  # float() of a 400-digit integer raises OverflowError
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and 0 <= seconds <= MAX_SECONDS else None


def as_text(value) -> str:
    """A pipeline value as text to show: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        # Integers past Python's str() digit limit, or nesting past the stack.
        return f"<unreadable {type(value).__name__}>"


def _short(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
