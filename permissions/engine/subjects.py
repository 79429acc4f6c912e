"""Subqueries that unfold nested groups and nested roles inside the database.

Both are recursive common table expressions used as ``IN (...)`` subqueries. They do not depend on the
outer row, so the database evaluates each once per statement, whatever the nesting depth: this is what
keeps a check at a fixed number of queries.
"""

from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.expressions import RawSQL

from permissions.models import GroupNesting, PermissionGroup, RoleNesting, RolePermission


def _uuid_param(value: UUID) -> object:
    return get_user_model()._meta.pk.get_db_prep_value(value, connection)


def principal_group_ids(principal_id: UUID) -> RawSQL:
    """Ids of every permission group that contains the principal, directly or through member groups."""
    user_groups = get_user_model().groups.through._meta
    # Only table and column names from model metadata are formatted in; values are parameters.
    sql = f"""
        WITH RECURSIVE closure(id) AS (
            SELECT pg.id FROM {PermissionGroup._meta.db_table} pg
              JOIN {user_groups.db_table} ug ON ug.group_id = pg.auth_group_id
             WHERE ug.{user_groups.get_field("user").column} = %s
            UNION
            SELECT n.group_id FROM {GroupNesting._meta.db_table} n
              JOIN closure c ON n.member_group_id = c.id
        )
        SELECT id FROM closure
    """  # noqa: S608
    return RawSQL(sql, (_uuid_param(principal_id),))  # noqa: S611


def roles_yielding(permission: str, node_type: str) -> RawSQL:
    """Ids of every role whose pairs, its member roles' included, grant `permission` on a `node_type`."""
    sql = f"""
        WITH RECURSIVE yielding(id) AS (
            SELECT rp.role_id FROM {RolePermission._meta.db_table} rp
             WHERE rp.permission = %s AND rp.restrict_object_type IN ('', %s)
            UNION
            SELECT n.role_id FROM {RoleNesting._meta.db_table} n
              JOIN yielding y ON n.member_role_id = y.id
        )
        SELECT id FROM yielding
    """  # noqa: S608
    return RawSQL(sql, (permission, node_type))  # noqa: S611
