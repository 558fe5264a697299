"""The `issues` document of a safety report: a list of objects, each with at
least `category` and `severity`, optionally `message` and `evidence`."""

from django.core.exceptions import ValidationError

from safety.models import Severity

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
