"""Read a row's recorded history as lines a person can follow."""

from dataclasses import dataclass, field
from datetime import datetime

HIDDEN_FIELDS = {"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context"}


@dataclass
class EventRow:
    when: datetime
    label: str
    who: str
    where: str
    changes: list[tuple[str, object, object]] = field(default_factory=list)


def event_rows(obj, users, limit: int = 200) -> list[EventRow]:
    """The newest `limit` events of `obj`, newest first, each with what changed.

    Two queries whatever the number of events: the events with their context,
    and the users they name.
    """
    event_model = type(obj).pgh_event_model
    events = list(
        event_model.objects.filter(pgh_obj_id=obj.pk)
        .select_related("pgh_context")
        .order_by("-pgh_id")[: limit + 1]
    )
    if not events:
        # A row written before its history was kept (an adopted database).
        return []
    fields = [f for f in event_model._meta.concrete_fields if f.name not in HIDDEN_FIELDS]
    user_ids = {
        e.pgh_context.metadata.get("user")
        for e in events
        if e.pgh_context and e.pgh_context.metadata.get("user") is not None
    }
    names = {u.pk: u.get_username() for u in users.filter(pk__in=user_ids)} if user_ids else {}
    rows = []
    for newer, older in zip(events, [*events[1:], None], strict=True):
        if older is None and len(events) > limit:
            break
        rows.append(_row(newer, older, fields, names))
    return rows


def _row(event, previous, fields, names) -> EventRow:
    metadata = event.pgh_context.metadata if event.pgh_context else {}
    user = metadata.get("user")
    who = names.get(user, f"user {user}") if user is not None else "a program (SQL)"
    changes = []
    for f in fields:
        after = getattr(event, f.attname)
        before = getattr(previous, f.attname) if previous is not None else None
        if previous is None or before != after:
            changes.append((f.verbose_name, before if previous else None, after))
    return EventRow(
        when=event.pgh_created_at,
        label=event.pgh_label,
        who=who,
        where=metadata.get("url", ""),
        changes=changes if event.pgh_label != "delete" else [],
    )
