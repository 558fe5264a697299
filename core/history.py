"""History of every row, written by database triggers (django-pghistory).

Triggers record inserts, updates and deletes from any writer, raw SQL included;
rows written during an admin request carry the user in their context.
"""

import pghistory


def tracked(**options):
    """Track inserts, updates and deletes of a model in an event table.

    `options` go to pghistory.track, e.g. exclude=[...] for columns whose
    changes are not history (a lease's expiry, a generated column).
    """
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        **options,
    )
