"""A digest of each teaching group's timetable memberships, reset by any write to them.

The timetable import stores ``TeachingGroup.membership_digest`` when it brings a group's
memberships in line with a file, and on the next import compares the group's new digest
with it before reading any membership row (:func:`imports.services.apply._apply_memberships`).
The triggers below keep the digests honest: every INSERT, UPDATE or DELETE of a group
membership (the directory import, a hand edit in the admin, a script, the import itself)
empties the digests of the groups concerned; the import writes them back after its own
membership writes, in the same transaction. PostgreSQL only, one statement-level trigger per
statement (transition tables): on SQLite the import never stores these digests and always
compares the rows.
"""

from django.db import migrations, models

POSTGRESQL_FORWARD = [
    """
    CREATE FUNCTION ent_membership_digest_reset() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE ent_teachinggroup SET membership_digest = ''
            WHERE membership_digest <> ''
              AND id IN (SELECT DISTINCT group_id FROM new_rows);
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE ent_teachinggroup SET membership_digest = ''
            WHERE membership_digest <> ''
              AND id IN (SELECT DISTINCT group_id FROM old_rows);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER ent_membership_digest_insert AFTER INSERT ON ent_groupmembership
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ent_membership_digest_reset()
    """,
    """
    CREATE TRIGGER ent_membership_digest_update AFTER UPDATE ON ent_groupmembership
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ent_membership_digest_reset()
    """,
    """
    CREATE TRIGGER ent_membership_digest_delete AFTER DELETE ON ent_groupmembership
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ent_membership_digest_reset()
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS ent_membership_digest_insert ON ent_groupmembership",
    "DROP TRIGGER IF EXISTS ent_membership_digest_update ON ent_groupmembership",
    "DROP TRIGGER IF EXISTS ent_membership_digest_delete ON ent_groupmembership",
    "DROP FUNCTION IF EXISTS ent_membership_digest_reset()",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("ent", "0010_calendar_feed_one_active"),
    ]

    operations = [
        migrations.AddField(
            model_name="teachinggroup",
            name="membership_digest",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD}),
            _run({"postgresql": POSTGRESQL_BACKWARD}),
        ),
    ]
