"""History of every row, written by database triggers (django-pghistory).

Triggers record inserts, updates and deletes from any writer, raw SQL included;
rows written during an admin request carry the user in their context.
"""

import pghistory


def tracked():
    """Track inserts, updates and deletes of a model in an event table."""
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
    )
