"""How each rollup follows its source table, and how to rebuild them all.

A `Rollup` is a count of a source table's rows grouped by key expressions: a
pure function of what the table holds now. The same expressions serve both
ways of keeping it:

- incrementally: per source table and operation, one statement-level trigger
  with transition tables adds +1 for each new row and -1 for each old row,
  summed per key, as one UPSERT per key and statement, in key order (so two
  statements lock their rows in the same order). Triggers fire for every
  writer, the pipeline's plain SQL included, inside the writer's transaction:
  the counts are exact and roll back with it;
- from scratch (`rebuild`): DELETE, then INSERT … SELECT … GROUP BY.

The trigger functions run as their owner (SECURITY DEFINER): a pipeline
service's database role needs no grant on the insights tables.

Hot rows: a writer adds to the slot of its own backend (pg_backend_pid() %
SLOTS), so concurrent transactions counting the same key (every decision of a
day, every task turning `succeeded`) mostly hold different rows; a row lock is
held to commit, and one shared row would make them commit one at a time.

Three tables are observations rather than rollups, kept by a rebuild: task
durations (a task holds no finish time: insights_task_finished measures it when
the status turns final), since when each video holds its status (the source of
the video ages rollup) and the hourly queue samples (insights.sampling).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from insights import models

SLOTS = 16
FINAL_TASK_STATUSES = ("succeeded", "failed")


def _day(column: str) -> str:
    return f"({column} AT TIME ZONE 'UTC')::date"


def _seconds(interval: str) -> str:
    return f"insights_bucket(extract(epoch FROM {interval})::float8)"


_DECISION = "r.kind IN ('approve', 'reject', 'escalate')"


@dataclass(frozen=True)
class Rollup:
    model: type
    source: str
    keys: dict[str, str]  # column -> SQL over the source row `r`
    where: str = "true"

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def columns(self) -> str:
        return ", ".join(self.keys)

    def selected(self, rows: str, sign: str) -> str:
        exprs = ", ".join(f"{expr} AS {column}" for column, expr in self.keys.items())
        return f"SELECT {exprs}, {sign} AS d FROM {rows} r WHERE {self.where}"


ROLLUPS = (
    Rollup(
        models.ReportsIn, "safety_reports", {"day": _day("r.created_at")}, "r.requires_human_review"
    ),
    Rollup(
        models.Decisions,
        "safety_review_actions",
        {
            "day": _day("r.created_at"),
            "actor_id": "r.actor_id",
            "kind": "r.kind",
            "breached": "r.created_at - (SELECT s.created_at FROM safety_reports s"
            " WHERE s.report_id = r.report_id) > insights_sla_breach()",
        },
        _DECISION,
    ),
    Rollup(
        models.HandleTime,
        "safety_review_actions",
        {
            "day": _day("r.created_at"),
            "actor_id": "r.actor_id",
            # The decider's own latest claim or takeover of the report before it.
            "bucket": _seconds(
                "r.created_at - (SELECT max(c.created_at) FROM safety_review_actions c"
                " WHERE c.report_id = r.report_id AND c.actor_id = r.actor_id"
                " AND c.kind IN ('claim', 'takeover') AND c.created_at <= r.created_at)"
            ),
        },
        _DECISION,
    ),
    Rollup(models.TaskCounts, "tasks", {"type": "r.type", "status": "r.status"}),
    Rollup(
        models.VideoAges,
        "insights_video_status_since",
        {"status": "r.status", "day": _day("r.since")},
    ),
    Rollup(
        models.Receipts,
        "publish_receipts",
        {"day": _day("r.timestamp"), "channel": "r.channel", "status": "r.status"},
    ),
    Rollup(
        models.PublishLatency,
        "publish_receipts",
        {
            "day": _day("r.timestamp"),
            "channel": "r.channel",
            # The publish task is created when an editor approves.
            "bucket": _seconds(
                "r.timestamp - (SELECT t.created_at FROM tasks t WHERE t.task_id = r.task_id)"
            ),
        },
        "r.status = 'published' AND r.task_id IS NOT NULL",
    ),
    Rollup(
        models.PublishFailures,
        "publish_receipts",
        {
            "channel": "r.channel",
            "answer": "left(split_part(coalesce(nullif(r.error, ''), '(no answer recorded)'),"
            " E'\\n', 1), 120)",
        },
        "r.status = 'failed'",
    ),
)
SOURCES = sorted({rollup.source for rollup in ROLLUPS})

_REFERENCING = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}

# Bucket b >= 1 holds [2^((b-1)/4), 2^(b/4)) seconds; 0 under a second (and
# negative durations, from clocks that disagree); null stays null.
BUCKET_FUNCTION = """
CREATE OR REPLACE FUNCTION insights_bucket(seconds float8) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN seconds IS NULL THEN NULL WHEN seconds < 1 THEN 0
              ELSE floor(4 * ln(seconds) / ln(2))::integer + 1 END
$$;
"""

TASK_FINISHED_TRIGGER = f"""
CREATE OR REPLACE FUNCTION insights_task_finished() RETURNS trigger LANGUAGE plpgsql
  SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO insights_task_durations AS t (day, type, status, bucket, slot, n)
  SELECT day, type, status, bucket, mod(pg_backend_pid(), {SLOTS}), count(*) FROM (
    SELECT {_day("now()")} AS day, n.type, n.status,
           {_seconds("now() - n.created_at")} AS bucket
    FROM new_rows n JOIN old_rows o ON o.task_id = n.task_id
    WHERE n.status IN ('succeeded', 'failed')
      AND coalesce(o.status, '') NOT IN ('succeeded', 'failed', 'cancelled')
  ) c
  GROUP BY day, type, status, bucket ORDER BY day, type, status, bucket
  ON CONFLICT (day, type, status, bucket, slot) DO UPDATE SET n = t.n + EXCLUDED.n;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS insights_task_finished ON tasks;
CREATE TRIGGER insights_task_finished AFTER UPDATE ON tasks
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION insights_task_finished();
"""


VIDEO_STATUS_TRIGGER = """
CREATE OR REPLACE FUNCTION insights_video_status() RETURNS trigger LANGUAGE plpgsql
  SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM insights_video_status_since WHERE video_id = OLD.video_id;
  ELSE
    INSERT INTO insights_video_status_since (video_id, status, since)
    VALUES (NEW.video_id, NEW.status,
            CASE WHEN TG_OP = 'INSERT' THEN coalesce(NEW.created_at, now()) ELSE now() END)
    ON CONFLICT (video_id) DO UPDATE SET status = EXCLUDED.status, since = EXCLUDED.since;
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS insights_video_status_added ON videos;
CREATE TRIGGER insights_video_status_added AFTER INSERT OR DELETE ON videos
  FOR EACH ROW EXECUTE FUNCTION insights_video_status();
DROP TRIGGER IF EXISTS insights_video_status_changed ON videos;
CREATE TRIGGER insights_video_status_changed AFTER UPDATE OF status ON videos
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION insights_video_status();
"""

# Videos loaded with triggers off (seed_scale) get a row, in their status since
# they were created; a status changed meanwhile counts from the creation too
# (when it changed is not recorded anywhere).
SYNC_VIDEO_STATUS = """
DELETE FROM insights_video_status_since s
 WHERE NOT EXISTS (SELECT 1 FROM videos v WHERE v.video_id = s.video_id);
INSERT INTO insights_video_status_since AS s (video_id, status, since)
SELECT v.video_id, v.status, coalesce(v.created_at, now()) FROM videos v
ON CONFLICT (video_id) DO UPDATE SET status = EXCLUDED.status, since = EXCLUDED.since
 WHERE s.status IS DISTINCT FROM EXCLUDED.status;
"""


def trigger_sql(rollup: Rollup, operation: str) -> str:
    """The function and trigger that keep `rollup` for one `operation` on its source."""
    parts = []
    if operation != "DELETE":
        parts.append(rollup.selected("new_rows", "1"))
    if operation != "INSERT":
        parts.append(rollup.selected("old_rows", "-1"))
    cols, name = rollup.columns, f"{rollup.table}_{operation.lower()}"
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql
  SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO {rollup.table} AS t ({cols}, slot, n)
  SELECT {cols}, mod(pg_backend_pid(), {SLOTS}), sum(d)
  FROM ({" UNION ALL ".join(parts)}) c
  GROUP BY {cols} HAVING sum(d) <> 0 ORDER BY {cols}
  ON CONFLICT ({cols}, slot) DO UPDATE SET n = t.n + EXCLUDED.n;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS {name} ON {rollup.source};
CREATE TRIGGER {name} AFTER {operation} ON {rollup.source}
  REFERENCING {_REFERENCING[operation]}
  FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


def sla_sql(minutes: int) -> str:
    # A function, not a table row: the triggers read it with no lookup.
    return f"""
CREATE OR REPLACE FUNCTION insights_sla_breach() RETURNS interval
LANGUAGE sql STABLE AS $$ SELECT interval '{int(minutes)} minutes' $$;
"""


def truncate_sql(source: str) -> str:
    """A TRUNCATE fires no row triggers: empty the source's rollups with it."""
    tables = [rollup.table for rollup in ROLLUPS if rollup.source == source]
    if source == "videos":
        tables += ["insights_video_status_since", models.VideoAges._meta.db_table]
    deletes = " ".join(f"DELETE FROM {table};" for table in tables)
    name = f"insights_{source}_truncate"
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql
  SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN {deletes} RETURN NULL; END $$;
DROP TRIGGER IF EXISTS {name} ON {source};
CREATE TRIGGER {name} AFTER TRUNCATE ON {source}
  FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


def install(cursor) -> None:
    """Create (or replace) the functions and triggers; a migration runs it."""
    cursor.execute(BUCKET_FUNCTION)
    cursor.execute(sla_sql(settings.SAFETY_SLA_BREACH_MINUTES))
    for rollup in ROLLUPS:
        for operation in _REFERENCING:
            cursor.execute(trigger_sql(rollup, operation))
    cursor.execute(TASK_FINISHED_TRIGGER)
    cursor.execute(VIDEO_STATUS_TRIGGER)
    for source in [*SOURCES, "videos"]:
        if source != "insights_video_status_since":
            cursor.execute(truncate_sql(source))


def sync_sla(**_signal) -> None:
    """Breaches count against SAFETY_SLA_BREACH_MINUTES as set now (after migrate,
    and by rebuild_rollups, which recounts the past against it)."""
    with connection.cursor() as cursor:
        cursor.execute(sla_sql(settings.SAFETY_SLA_BREACH_MINUTES))


def recount_sql(rollup: Rollup) -> str:
    cols = rollup.columns
    return (
        f"INSERT INTO {rollup.table} ({cols}, slot, n) "
        f"SELECT {cols}, 0, count(*) FROM ({rollup.selected(rollup.source, '1')}) s "
        f"GROUP BY {cols}"
    )


def rebuild() -> dict[str, int]:
    """Recount every rollup from its source table, in one transaction; returns
    the rows written per table. The sources are locked against writers (SHARE)
    meanwhile, so no change is counted twice or missed."""
    written = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE videos, {', '.join(SOURCES)} IN SHARE MODE")
        cursor.execute(sla_sql(settings.SAFETY_SLA_BREACH_MINUTES))
        cursor.execute(SYNC_VIDEO_STATUS)
        for rollup in ROLLUPS:
            cursor.execute(f"DELETE FROM {rollup.table}")
            cursor.execute(recount_sql(rollup))
            written[rollup.table] = cursor.rowcount
    return written


def totals(rollup: Rollup) -> dict[tuple, int]:
    """What a rollup says, slots summed: {key values: count}, zero counts left out."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rollup.columns}, sum(n) FROM {rollup.table} "
            f"GROUP BY {rollup.columns} HAVING sum(n) <> 0"
        )
        return {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}


def rollup_of(model) -> Rollup:
    return next(rollup for rollup in ROLLUPS if rollup.model is model)
