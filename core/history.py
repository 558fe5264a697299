"""History of every row, written by database triggers (django-pghistory).

Triggers record inserts, updates and deletes from any writer, raw SQL included;
rows written during an admin request carry the user in their context.
"""

import pghistory
from django.db import models


def tracked(**options):
    """Track inserts, updates and deletes of a model in an event table.

    `options` go to pghistory.track, e.g. exclude=[...] for columns whose
    changes are not history (a lease's expiry, a generated column).
    """
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        meta={"indexes": EVENT_INDEXES},
        **options,
    )


EVENT_INDEXES = [
    # Retention deletes the oldest events a batch at a time
    # (contentops.retention): without it each batch scans the table.
    models.Index(fields=["pgh_created_at"]),
]
