"""Organization.grants_version, and the triggers that give it a new value on every change of a grant on a
project, on an object in one, or on a project's logs.

The access engine keeps the ids a principal was granted at those levels across requests, stamped with
the organization's versions (permissions/engine/lists.py). Triggers rather than calls in the services,
as for access_version (migration 0004): every write path moves the version in the same transaction as
its change. Grants on the organization's own nodes move access_version already.
"""

import importlib
import uuid

from django.db import migrations, models

# SQLite adds a column by building the table anew, which the triggers naming the organizations' table
# (migration 0004's) would not survive: they are dropped for the change and made again after it.
access_version = importlib.import_module("accounts.migrations.0004_organization_access_version")

PROJECT_OBJECTS = ("Experiment", "Dataset", "Prompt", "PromptSession")


def _sources(apps) -> dict[str, tuple[str, str]]:
    """For each grant table, the column a row names its node by, and the organizations a set of its rows
    ``{rows}`` concerns."""
    projects = apps.get_model("projects", "Project")._meta.db_table
    sources = {apps.get_model("permissions", "AclGrant")._meta.db_table: ("org_id", "SELECT r.org_id AS org_id FROM {rows} r")}
    for subject in ("User", "Group"):
        table = apps.get_model("projects", f"Project{subject}ObjectPermission")._meta.db_table
        sources[table] = (
            "content_object_id",
            f"SELECT p.org_id AS org_id FROM {projects} p JOIN {{rows}} r ON p.id = r.content_object_id",  # noqa: S608
        )
        for name in PROJECT_OBJECTS:
            objects = apps.get_model("projects", name)._meta.db_table
            table = apps.get_model("projects", f"{name}{subject}ObjectPermission")._meta.db_table
            sources[table] = (
                "content_object_id",
                f"SELECT p.org_id AS org_id FROM {projects} p JOIN {objects} o ON o.project_id = p.id"  # noqa: S608
                " JOIN {rows} r ON o.id = r.content_object_id",
            )
    return sources


def _bump(apps, source: str, rows: str, new_value: str) -> str:
    organizations = apps.get_model("accounts", "Organization")._meta.db_table
    # Only table names from the models and the fixed texts above are formatted in.
    return f"UPDATE {organizations} SET grants_version = {new_value} WHERE id IN ({source.format(rows=rows)});"  # noqa: S608


def _name(table: str) -> str:
    return f"grants_version_{table}".replace("objectpermission", "grant")  # within PostgreSQL's 63 characters


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, (column, source) in _sources(apps).items():
        name = _name(table)
        if vendor == "postgresql":
            # One trigger per statement, over its transition tables: a bulk write moves the version once.
            schema_editor.execute(
                f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_bump(apps, source, "new_rows", "gen_random_uuid()")} END IF;
                  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_bump(apps, source, "old_rows", "gen_random_uuid()")} END IF;
                  RETURN NULL;
                END $$
                """
            )
            for event, transition in (
                ("INSERT", "NEW TABLE AS new_rows"),
                ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                ("DELETE", "OLD TABLE AS old_rows"),
            ):
                schema_editor.execute(
                    f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} REFERENCING {transition}"
                    f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
                )
        elif vendor == "sqlite":
            new_value = "lower(hex(randomblob(16)))"
            # SQLite has no statement triggers: a row trigger's NEW or OLD row, as a one-row table.
            for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["NEW", "OLD"]), ("DELETE", ["OLD"])):
                body = " ".join(_bump(apps, source, f"(SELECT {row}.{column} AS {column})", new_value) for row in rows)
                schema_editor.execute(f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} BEGIN {body} END")
        else:
            raise NotImplementedError(f"No grants-version triggers for {vendor}.")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in _sources(apps):
        name = _name(table)
        for event in ("insert", "update", "delete"):
            on_table = f" ON {table}" if vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event}{on_table}")
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}() CASCADE")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_organization_access_version"),
        ("permissions", "0001_initial"),
        ("projects", "0003_overflowupload"),
    ]

    operations = [
        migrations.RunPython(access_version.drop_triggers, access_version.create_triggers),
        migrations.AddField(
            model_name="organization",
            name="grants_version",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.RunPython(access_version.create_triggers, access_version.drop_triggers),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
