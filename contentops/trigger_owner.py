"""Our triggers on the pipeline's tables run as their owner.

Pipeline services write personas, videos, tasks, artifacts, safety reports
and receipts, perhaps as a database role of their own that holds grants on
those six tables and nothing else. What our triggers write beside their rows
(history events, the clearance and QA outboxes, the rollups, the publish
wake-up) must ask that role for nothing more: each trigger function on those
tables runs as its owner (SECURITY DEFINER), with the search path pinned to
our schema and `pg_temp` last, so a temporary table the writer made cannot
stand in for one of ours.

pgtrigger re-creates a trigger's function (`CREATE OR REPLACE`, which resets
both) whenever a migration changes the trigger, so this runs after every
`migrate`.
"""

from django.db import connections, router

from contentops.pipeline import pipeline_tables
from videos.models import Video

# The trigger functions on those tables that we own (a function another role
# made is not ours to change) and that do not yet run as we want.
NOT_YET_AS_OWNER = """
SELECT DISTINCT p.oid::regprocedure::text
FROM pg_trigger t
JOIN pg_proc p ON p.oid = t.tgfoid
WHERE NOT t.tgisinternal
  AND t.tgrelid = ANY (%s::regclass[])
  AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
  AND NOT (p.prosecdef AND coalesce(p.proconfig, '{}') @> ARRAY[%s])
ORDER BY 1
"""


def search_path_setting(schema: str) -> str:
    """The pinned path as `pg_proc.proconfig` spells it; `schema` as
    Postgres's quote_ident gives it."""
    return f"search_path={schema}, pg_temp"


def run_as_owner(using: str = "default", **_signal) -> list[str]:
    """Make each of our trigger functions on the pipeline's tables run as its
    owner with the pinned search path; returns the functions changed."""
    if not router.allow_migrate_model(using, Video):
        return []
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        (schema,) = cursor.fetchone()
        cursor.execute(NOT_YET_AS_OWNER, [pipeline_tables(), search_path_setting(schema)])
        functions = [signature for (signature,) in cursor.fetchall()]
        for signature in functions:
            # Both are Postgres's own quoted text: regprocedure's and quote_ident's.
            cursor.execute(
                f"ALTER FUNCTION {signature} SECURITY DEFINER SET search_path = {schema}, pg_temp"
            )
    return functions
