"""The review queue's addresses (reading the HTML of its pages: tests/helpers.py)."""

QUEUE_URL = "/admin/safety/reviewqueueitem/"
ENDPOINTS = ["claim", "renew", "release", "takeover", "decide"]


def review_url(report) -> str:
    return f"{QUEUE_URL}{report.pk}/review/"


def endpoint_url(report, name: str) -> str:
    return f"{QUEUE_URL}{report.pk}/{name}/"


def next_url() -> str:
    return f"{QUEUE_URL}next/"
