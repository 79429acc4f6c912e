"""Grants and group memberships that expire (``expires_at``), and the triggers of the new membership-expiry
table:

* a change of a membership's expiry gives its organization a new ``access_version`` (as migration
  accounts 0004 does for every table the engine's cached contexts depend on), so that a shortened
  membership is seen on the very next request;
* removing a user from a group (a row of Django's user-group relation) removes its expiry with it, on
  every write path, so that a later membership of the same user never inherits an old expiry.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models




def _tables(apps) -> dict[str, str]:
    user_model = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    return {
        "expiries": apps.get_model("permissions", "GroupMembershipExpiry")._meta.db_table,
        "groups": apps.get_model("permissions", "PermissionGroup")._meta.db_table,
        "organizations": apps.get_model("accounts", "Organization")._meta.db_table,
        "user_groups": user_model._meta.get_field("groups").remote_field.through._meta.db_table,
    }


def _bump(tables: dict[str, str], rows: str, new_value: str) -> str:
    # Only table names from the models are formatted in.
    return (
        f"UPDATE {tables['organizations']} SET access_version = {new_value}"  # noqa: S608
        f" WHERE id IN (SELECT g.org_id FROM {tables['groups']} g JOIN {rows} r ON g.id = r.group_id);"
    )


def _forget_expiry(tables: dict[str, str], old: str) -> str:
    return (
        f"DELETE FROM {tables['expiries']} WHERE user_id = {old}.user_id"  # noqa: S608
        f" AND group_id IN (SELECT g.id FROM {tables['groups']} g WHERE g.auth_group_id = {old}.group_id);"
    )


def create_triggers(apps, schema_editor):
    tables = _tables(apps)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"""
            CREATE FUNCTION access_version_membership_expiry() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP IN ('INSERT', 'UPDATE') THEN {_bump(tables, "new_rows", "gen_random_uuid()")} END IF;
              IF TG_OP IN ('UPDATE', 'DELETE') THEN {_bump(tables, "old_rows", "gen_random_uuid()")} END IF;
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
                f"CREATE TRIGGER access_version_membership_expiry_{event.lower()} AFTER {event} ON {tables['expiries']}"
                f" REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION access_version_membership_expiry()"
            )
        schema_editor.execute(
            f"""
            CREATE FUNCTION membership_expiry_forget() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN {_forget_expiry(tables, "OLD")} RETURN NULL; END $$
            """
        )
        schema_editor.execute(
            f"CREATE TRIGGER membership_expiry_forget AFTER DELETE ON {tables['user_groups']}"
            " FOR EACH ROW EXECUTE FUNCTION membership_expiry_forget()"
        )
    elif vendor == "sqlite":
        new_value = "lower(hex(randomblob(16)))"
        for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["NEW", "OLD"]), ("DELETE", ["OLD"])):
            body = " ".join(_bump(tables, f"(SELECT {row}.group_id AS group_id)", new_value) for row in rows)
            schema_editor.execute(
                f"CREATE TRIGGER access_version_membership_expiry_{event.lower()} AFTER {event} ON {tables['expiries']} BEGIN {body} END"
            )
        schema_editor.execute(
            f"CREATE TRIGGER membership_expiry_forget AFTER DELETE ON {tables['user_groups']} BEGIN {_forget_expiry(tables, 'OLD')} END"
        )
    else:
        raise NotImplementedError(f"No membership-expiry triggers for {vendor}.")


def drop_triggers(apps, schema_editor):
    tables = _tables(apps)
    postgres = schema_editor.connection.vendor == "postgresql"
    for event in ("insert", "update", "delete"):
        on_table = f" ON {tables['expiries']}" if postgres else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS access_version_membership_expiry_{event}{on_table}")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS membership_expiry_forget{' ON ' + tables['user_groups'] if postgres else ''}")
    if postgres:
        schema_editor.execute("DROP FUNCTION IF EXISTS access_version_membership_expiry() CASCADE")
        schema_editor.execute("DROP FUNCTION IF EXISTS membership_expiry_forget() CASCADE")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_grant_expiry'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('permissions', '0002_human_labels_and_duplicate_grant_message'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='GroupMembershipExpiry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('expires_at', models.DateTimeField(help_text='From this instant the membership counts for nothing.', verbose_name='expires')),
            ],
            options={
                'verbose_name': 'group membership expiry',
                'verbose_name_plural': 'group membership expiries',
            },
        ),
        migrations.AddField(
            model_name='aclgrant',
            name='expires_at',
            field=models.DateTimeField(blank=True, help_text='From this instant it counts for nothing.', null=True, verbose_name='expires'),
        ),
        migrations.AddField(
            model_name='groupnesting',
            name='expires_at',
            field=models.DateTimeField(blank=True, help_text='From this instant it counts for nothing.', null=True, verbose_name='expires'),
        ),
        migrations.AddField(
            model_name='permissiongroupgroupobjectpermission',
            name='expires_at',
            field=models.DateTimeField(blank=True, help_text='From this instant it counts for nothing.', null=True, verbose_name='expires'),
        ),
        migrations.AddField(
            model_name='permissiongroupuserobjectpermission',
            name='expires_at',
            field=models.DateTimeField(blank=True, help_text='From this instant it counts for nothing.', null=True, verbose_name='expires'),
        ),
        migrations.AddField(
            model_name='rolegroupobjectpermission',
            name='expires_at',
            field=models.DateTimeField(blank=True, help_text='From this instant it counts for nothing.', null=True, verbose_name='expires'),
        ),
        migrations.AddField(
            model_name='roleuserobjectpermission',
            name='expires_at',
            field=models.DateTimeField(blank=True, help_text='From this instant it counts for nothing.', null=True, verbose_name='expires'),
        ),
        migrations.AddIndex(
            model_name='aclgrant',
            index=models.Index(condition=models.Q(('expires_at__isnull', False)), fields=['expires_at'], name='aclgrant_expiring'),
        ),
        migrations.AddField(
            model_name='groupmembershipexpiry',
            name='group',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='membership_expiries', to='permissions.permissiongroup'),
        ),
        migrations.AddField(
            model_name='groupmembershipexpiry',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='groupmembershipexpiry',
            index=models.Index(fields=['expires_at'], name='group_membership_expiry_at'),
        ),
        migrations.AddConstraint(
            model_name='groupmembershipexpiry',
            constraint=models.UniqueConstraint(fields=('user', 'group'), name='group_membership_expiry_unique'),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
