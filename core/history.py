"""History of every row, written by database triggers (django-pghistory).

Triggers record inserts, updates and deletes from any writer, raw SQL included;
rows written during an admin request carry the user in their context.
"""

import pghistory
import pgtrigger
from django.db import models


def tracked(*, quiet=(), **options):
    """Track inserts, updates and deletes of a model in an event table.

    `options` go to pghistory.track, e.g. exclude=[...] for columns whose
    changes are not history (a lease's expiry, a generated column). `quiet`
    columns stay in every event, but a change to them alone writes none:
    for a column another log already records each change of, on a hot path.
    """
    update = pghistory.UpdateEvent(condition=pgtrigger.AnyChange(exclude=list(quiet)))
    return pghistory.track(
        pghistory.InsertEvent(),
        update,
        pghistory.DeleteEvent(),
        meta={"indexes": EVENT_INDEXES},
        **options,
    )


EVENT_INDEXES = [
    # Retention deletes the oldest events a batch at a time
    # (contentops.retention): without it each batch scans the table.
    models.Index(fields=["pgh_created_at"]),
]
