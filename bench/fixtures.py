"""The bench's users and the rows its pages are measured on (Django side).

`python -m bench.fixtures` (DATABASE_URL: one dataset) makes sure the users
exist and prints, as JSON, what the pages need: a pending report, a video
with tasks, artifacts, reports and receipts, title words matching many and
few videos, the most common status.
"""

import re
import sys
from collections import Counter

from bench.djangoside import progress, result, setup
from bench.gallery import first_page_cards

PASSWORD = "bench-password-not-secret"
ADMIN = "bench-admin"
EDITOR = "bench-editor"
MODERATORS = 16
FEW = 50  # a "few" word matches at most this many videos, if one is found
SAMPLE = 2000


def moderator_names(count: int = MODERATORS) -> list[str]:
    return [f"bench-moderator-{n:02d}" for n in range(1, count + 1)]


def ensure_users() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from contentops.roles import EDITORS
    from contentops.roles import MODERATORS as MODERATORS_GROUP

    users = get_user_model()

    def user(username, **fields):
        found, created = users.objects.get_or_create(username=username, defaults=fields)
        if created:
            found.set_password(PASSWORD)
            found.save()
        return found

    user(ADMIN, is_staff=True, is_superuser=True)
    moderators = Group.objects.get(name=MODERATORS_GROUP)
    for name in moderator_names():
        user(name, is_staff=True).groups.add(moderators)
    editor = user(EDITOR, is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS))
    editor.user_permissions.add(*Permission.objects.filter(codename__startswith="publish_to_"))


def pending_report() -> str | None:
    from safety.queue import QUEUE_ORDER, pending_reports

    report = pending_reports().order_by(*QUEUE_ORDER).values_list("pk", flat=True).first()
    return str(report) if report else None


def rich_video() -> str | None:
    """A video with tasks, artifacts, safety reports and publish receipts."""
    from django.db.models import Exists, OuterRef

    from publishing.models import PublishReceipt
    from safety.models import SafetyReport
    from videos.models import Artifact, Task, Video

    candidates = PublishReceipt.objects.order_by("video_id").values("video_id")[:500]
    video = (
        Video.objects.filter(pk__in=candidates)
        .filter(Exists(Task.objects.filter(video=OuterRef("pk"))))
        .filter(Exists(Artifact.objects.filter(video=OuterRef("pk"))))
        .filter(Exists(SafetyReport.objects.filter(task__video=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    return str(video) if video else None


def title_words() -> dict:
    """A word many titles hold and one few hold, from a sample of titles."""
    from videos.models import Video

    titles = Video.objects.order_by("pk").values_list("title", flat=True)[:SAMPLE]
    words = Counter(w for t in titles if t for w in set(re.findall(r"[a-z]{4,}", t.lower())))
    if not words:
        return {}
    many = words.most_common(1)[0][0]
    picked = {"many": many, "many_count": Video.objects.filter(title__icontains=many).count()}
    # The rarest of the sample's rarest words (counted up to FEW + 1 each): at
    # a million videos even a word seen once in the sample may match hundreds.
    rarest = None
    for word, _ in sorted(words.items(), key=lambda item: (item[1], item[0]))[:40]:
        count = Video.objects.filter(title__icontains=word)[: FEW + 1].count()
        if count and (rarest is None or count < rarest[1]):
            rarest = (word, count)
        if count and count <= FEW:
            break
    if rarest:
        # Its whole count, for the report: past FEW only the cap was counted.
        count = (
            rarest[1]
            if rarest[1] <= FEW
            else Video.objects.filter(title__icontains=rarest[0]).count()
        )
        picked |= {"few": rarest[0], "few_count": count}
    return picked


def common_status() -> str:
    from django.db.models import Count

    from videos.models import Video

    row = Video.objects.values("status").annotate(n=Count("pk")).order_by("-n").first()
    return row["status"] if row else "ready"


def main() -> None:
    setup()
    progress("users: bench-admin, bench-editor and 16 moderators")
    ensure_users()
    progress("picking the rows pages are measured on")
    result(
        {
            "report": pending_report(),
            "video": rich_video(),
            "status": common_status(),
            "gallery_cards": first_page_cards(),
            **title_words(),
        }
    )


if __name__ == "__main__":
    sys.exit(main())
