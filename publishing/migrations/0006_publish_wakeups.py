from django.db import migrations

# A publish task queued, or a queued one whose time changed, notifies the
# channel publish_tasks, whoever writes it (the admin, a worker, the pipeline's
# plain SQL): idle workers LISTEN there (publishing/wakeups.py). Delivered at
# commit; Postgres folds a transaction's identical notifications into one, so a
# bulk insert wakes each worker once.
NOTIFY = """
CREATE OR REPLACE FUNCTION publishing_task_due_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('publish_tasks', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER publishing_task_due_insert AFTER INSERT ON tasks
    FOR EACH ROW WHEN (NEW.type = 'publish' AND NEW.status = 'queued')
    EXECUTE FUNCTION publishing_task_due_notify();
CREATE TRIGGER publishing_task_due_update AFTER UPDATE OF status, not_before ON tasks
    FOR EACH ROW WHEN (
        NEW.type = 'publish' AND NEW.status = 'queued'
        AND (OLD.status IS DISTINCT FROM NEW.status
             OR OLD.not_before IS DISTINCT FROM NEW.not_before)
    )
    EXECUTE FUNCTION publishing_task_due_notify();
"""

DROP_NOTIFY = """
DROP TRIGGER IF EXISTS publishing_task_due_update ON tasks;
DROP TRIGGER IF EXISTS publishing_task_due_insert ON tasks;
DROP FUNCTION IF EXISTS publishing_task_due_notify();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0005_list_filter_indexes"),
        ("videos", "0006_list_filter_indexes"),
    ]

    operations = [migrations.RunSQL(NOTIFY, DROP_NOTIFY)]
