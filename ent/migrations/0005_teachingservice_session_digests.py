"""Per-week digests of a teaching service's generated sessions, reset by any other write.

The timetable import stores ``TeachingService.session_digests`` when it applies a plan and
compares them on the next import before reading any session row. The triggers below keep the
digests honest: every INSERT, UPDATE or DELETE of a session (a hand edit in the admin, a
script, the import itself) sets the service's digests to NULL; the import writes them back
after its own session writes, in the same transaction. PostgreSQL runs one statement-level
trigger per statement (transition tables), SQLite one row-level trigger per row.
"""

from django.db import migrations, models

POSTGRESQL_FORWARD = [
    """
    CREATE FUNCTION ent_session_digests_reset() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE ent_teachingservice SET session_digests = NULL
            WHERE session_digests IS NOT NULL
              AND id IN (SELECT DISTINCT teaching_service_id FROM new_rows);
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE ent_teachingservice SET session_digests = NULL
            WHERE session_digests IS NOT NULL
              AND id IN (SELECT DISTINCT teaching_service_id FROM old_rows);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER ent_session_digests_insert AFTER INSERT ON ent_session
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ent_session_digests_reset()
    """,
    """
    CREATE TRIGGER ent_session_digests_update AFTER UPDATE ON ent_session
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ent_session_digests_reset()
    """,
    """
    CREATE TRIGGER ent_session_digests_delete AFTER DELETE ON ent_session
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ent_session_digests_reset()
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS ent_session_digests_insert ON ent_session",
    "DROP TRIGGER IF EXISTS ent_session_digests_update ON ent_session",
    "DROP TRIGGER IF EXISTS ent_session_digests_delete ON ent_session",
    "DROP FUNCTION IF EXISTS ent_session_digests_reset()",
]
SQLITE_FORWARD = [
    """
    CREATE TRIGGER ent_session_digests_insert AFTER INSERT ON ent_session BEGIN
        UPDATE ent_teachingservice SET session_digests = NULL
        WHERE id = NEW.teaching_service_id AND session_digests IS NOT NULL;
    END
    """,
    """
    CREATE TRIGGER ent_session_digests_update AFTER UPDATE ON ent_session BEGIN
        UPDATE ent_teachingservice SET session_digests = NULL
        WHERE id IN (OLD.teaching_service_id, NEW.teaching_service_id)
          AND session_digests IS NOT NULL;
    END
    """,
    """
    CREATE TRIGGER ent_session_digests_delete AFTER DELETE ON ent_session BEGIN
        UPDATE ent_teachingservice SET session_digests = NULL
        WHERE id = OLD.teaching_service_id AND session_digests IS NOT NULL;
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ent_session_digests_insert",
    "DROP TRIGGER IF EXISTS ent_session_digests_update",
    "DROP TRIGGER IF EXISTS ent_session_digests_delete",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("ent", "0004_session_content_and_calendar_feeds"),
    ]

    operations = [
        migrations.AddField(
            model_name="teachingservice",
            name="session_digests",
            field=models.JSONField(blank=True, default=None, editable=False, null=True),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
