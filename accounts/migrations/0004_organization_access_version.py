"""Organization.access_version, and the triggers that give it a new value on every change the access
engine's cached principal contexts depend on: memberships, groups and their members, roles and their
pairs, and grants on the organization's own nodes.

Triggers rather than calls in the services: every write path (services, the admin, bulk writes, raw SQL)
moves the version in the same transaction as its change, so a cached context can never outlive one.
"""

import uuid

from django.db import migrations, models

# For each table: the columns a row names, and the organizations a set of its rows ``{rows}`` concerns.
# A NULL organization (a system role) concerns every organization.
ORGANIZATIONS_OF = {
    "accounts.Membership": (("org_id",), "SELECT r.org_id AS org_id FROM {rows} r"),
    "accounts.User.groups": (("group_id",), "SELECT g.org_id AS org_id FROM {groups} g JOIN {rows} r ON g.auth_group_id = r.group_id"),
    "permissions.PermissionGroup": (("org_id",), "SELECT r.org_id AS org_id FROM {rows} r"),
    "permissions.GroupNesting": (
        ("group_id", "member_group_id"),
        "SELECT g.org_id AS org_id FROM {groups} g JOIN {rows} r ON g.id IN (r.group_id, r.member_group_id)",
    ),
    "permissions.Role": (("org_id",), "SELECT r.org_id AS org_id FROM {rows} r"),
    "permissions.RoleNesting": (
        ("role_id", "member_role_id"),
        "SELECT o.org_id AS org_id FROM {roles} o JOIN {rows} r ON o.id IN (r.role_id, r.member_role_id)",
    ),
    "permissions.RolePermission": (("role_id",), "SELECT o.org_id AS org_id FROM {roles} o JOIN {rows} r ON o.id = r.role_id"),
    # Grants on the organization's own nodes, which contexts hold too (grants further down are read anew
    # on every request and concern no context).
    "permissions.AclGrant": (
        ("org_id", "object_type", "object_id"),
        "SELECT r.org_id AS org_id FROM {rows} r"
        " WHERE r.object_type IN ('organization', 'org_member', 'org_audit_logs', 'org_project') AND r.object_id = r.org_id",
    ),
    "accounts.OrganizationUserObjectPermission": (("content_object_id",), "SELECT r.content_object_id AS org_id FROM {rows} r"),
    "accounts.OrganizationGroupObjectPermission": (("content_object_id",), "SELECT r.content_object_id AS org_id FROM {rows} r"),
}


def _tables(apps) -> dict[str, str]:
    tables = {}
    for label in ORGANIZATIONS_OF:
        app_label, model_name, *relation = label.split(".")
        model = apps.get_model(app_label, model_name)
        if relation:
            model = model._meta.get_field(relation[0]).remote_field.through
        tables[label] = model._meta.db_table
    return tables


def _bump(apps, label: str, rows: str, new_value: str) -> str:
    organizations = apps.get_model("accounts", "Organization")._meta.db_table
    names = {
        "groups": apps.get_model("permissions", "PermissionGroup")._meta.db_table,
        "roles": apps.get_model("permissions", "Role")._meta.db_table,
    }
    concerned = ORGANIZATIONS_OF[label][1].format(rows=rows, **names)
    # Only table names from the models and the fixed texts above are formatted in.
    return (
        f"UPDATE {organizations} SET access_version = {new_value}"  # noqa: S608
        f" WHERE id IN ({concerned}) OR EXISTS (SELECT 1 FROM ({concerned}) AS concerned WHERE concerned.org_id IS NULL);"
    )


def _row(label: str, row: str) -> str:
    """A row trigger's NEW or OLD row as a one-row table (SQLite has no statement triggers)."""
    columns = ", ".join(f"{row}.{column} AS {column}" for column in ORGANIZATIONS_OF[label][0])
    return f"(SELECT {columns})"


def _name(label: str) -> str:
    return "access_version_" + label.replace(".", "_").lower()


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for label, table in _tables(apps).items():
        name = _name(label)
        if vendor == "postgresql":
            # One trigger per statement, over its transition tables: a bulk write moves the version once,
            # not once per row (each update of the organization's row leaves a row version behind).
            schema_editor.execute(
                f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_bump(apps, label, "new_rows", "gen_random_uuid()")} END IF;
                  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_bump(apps, label, "old_rows", "gen_random_uuid()")} END IF;
                  RETURN NULL;
                END $$
                """
            )
            for event, tables in (
                ("INSERT", "NEW TABLE AS new_rows"),
                ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                ("DELETE", "OLD TABLE AS old_rows"),
            ):
                schema_editor.execute(
                    f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} REFERENCING {tables}"
                    f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
                )
        elif vendor == "sqlite":
            new_value = "lower(hex(randomblob(16)))"
            for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["NEW", "OLD"]), ("DELETE", ["OLD"])):
                body = " ".join(_bump(apps, label, _row(label, row), new_value) for row in rows)
                schema_editor.execute(f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} BEGIN {body} END")
        else:
            raise NotImplementedError(f"No access-version triggers for {vendor}.")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for label, table in _tables(apps).items():
        name = _name(label)
        for event in ("insert", "update", "delete"):
            on_table = f" ON {table}" if vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event}{on_table}")
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}() CASCADE")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_invitation_token_hash"),
        ("permissions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="access_version",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
