"""What the Django-side steps share: setting Django up, progress, the result."""

import json
import os
import sys


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contentops.settings")
    import django

    django.setup()


def progress(message: str) -> None:
    print(f"[bench]   {message}", file=sys.stderr, flush=True)


def result(value) -> None:
    """The step's result: one line of JSON, last on stdout."""
    print(json.dumps(value, default=str), flush=True)
