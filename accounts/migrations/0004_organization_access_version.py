"""Organization.access_version, and the triggers that give it a new value on every change the access
engine's cached principal contexts depend on.

Triggers rather than calls in the services: every write path (services, the admin, bulk writes, raw SQL)
moves the version in the same transaction as its change, so a cached context can never outlive one.
"""

import uuid

from django.db import migrations, models

# For each table: the organizations a row concerns, as a query on ``{row}`` (NEW or OLD). A NULL
# organization (a system role) concerns every organization.
ORGANIZATIONS_OF = {
    "accounts.Membership": "SELECT {row}.org_id AS org_id",
    "accounts.User.groups": "SELECT org_id FROM {groups} WHERE auth_group_id = {row}.group_id",
    "permissions.PermissionGroup": "SELECT {row}.org_id AS org_id",
    "permissions.GroupNesting": "SELECT org_id FROM {groups} WHERE id IN ({row}.group_id, {row}.member_group_id)",
    "permissions.Role": "SELECT {row}.org_id AS org_id",
    "permissions.RoleNesting": "SELECT org_id FROM {roles} WHERE id IN ({row}.role_id, {row}.member_role_id)",
    "permissions.RolePermission": "SELECT org_id FROM {roles} WHERE id = {row}.role_id",
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


def _bump(apps, label: str, row: str, new_value: str) -> str:
    organizations = apps.get_model("accounts", "Organization")._meta.db_table
    names = {
        "groups": apps.get_model("permissions", "PermissionGroup")._meta.db_table,
        "roles": apps.get_model("permissions", "Role")._meta.db_table,
    }
    concerned = ORGANIZATIONS_OF[label].format(row=row, **names)
    # Only table names from the models and the fixed texts above are formatted in.
    return (
        f"UPDATE {organizations} SET access_version = {new_value}"  # noqa: S608
        f" WHERE id IN ({concerned}) OR EXISTS (SELECT 1 FROM ({concerned}) AS concerned WHERE concerned.org_id IS NULL);"
    )


def _name(label: str) -> str:
    return "access_version_" + label.replace(".", "_").lower()


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for label, table in _tables(apps).items():
        name = _name(label)
        if vendor == "postgresql":
            schema_editor.execute(
                f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_bump(apps, label, "NEW", "gen_random_uuid()")} END IF;
                  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_bump(apps, label, "OLD", "gen_random_uuid()")} END IF;
                  RETURN NULL;
                END $$
                """
            )
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        elif vendor == "sqlite":
            new_value = "lower(hex(randomblob(16)))"
            for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["NEW", "OLD"]), ("DELETE", ["OLD"])):
                body = " ".join(_bump(apps, label, row, new_value) for row in rows)
                schema_editor.execute(f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} BEGIN {body} END")
        else:
            raise NotImplementedError(f"No access-version triggers for {vendor}.")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for label, table in _tables(apps).items():
        name = _name(label)
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event};")


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
