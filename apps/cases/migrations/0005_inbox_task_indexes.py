"""Indexes that serve the task lists (inbox tabs, API task list) at any table size.

viewflow's Task has one-column indexes on owner, status and created: a list of "my open tasks"
either ORs an owner index with a status index (every open task pulled, most thrown away) or
walks `created` over the whole table. Each partial index below holds one list's rows only, keyed
by who it belongs to and then by the list's order, so a page is an index range read in order
and a count reads only the person's (or role's) share. Partial indexes with a plain WHERE work
the same on SQLite and PostgreSQL. viewflow owns the table, so this is SQL, not model state.
"""

from django.db import migrations

INDEXES = {
    # "Assigned to me": owner_id = me AND status = 'ASSIGNED' ORDER BY created, id.
    "task_assigned_owner_created": "(owner_id, created, id) WHERE status = 'ASSIGNED'",
    # "My roles' queue": owner_permission IN (my roles) AND unclaimed ORDER BY created, id.
    "task_queue_role_created": "(owner_permission, created, id) WHERE owner_id IS NULL AND status = 'NEW'",
    # "Done by me": owner_id = me AND status = 'DONE' ORDER BY finished DESC, id DESC.
    "task_done_owner_finished": "(owner_id, finished, id) WHERE status = 'DONE'",
}


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_automated_steps"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX {name} ON viewflow_task {definition}",
            reverse_sql=f"DROP INDEX {name}",
        )
        for name, definition in INDEXES.items()
    ]
