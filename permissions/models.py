"""Permission groups, roles, the grants guardian cannot hold, and the audit log.

Where grants live (one store per grant, never a copy):

* a direct, unrestricted permission on an organization, group, role, project, experiment, dataset,
  prompt or playground lives in that model's guardian tables (``<Model>UserObjectPermission`` and
  ``<Model>GroupObjectPermission``);
* everything guardian cannot express lives in :class:`AclGrant`: role grants, grants restricted to an
  object type, and grants on the virtual nodes org_member, org_audit_logs, org_project and project_log.
  A database constraint keeps the two stores disjoint.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import Group as AuthGroup
from django.db import models
from django.db.models import Q
from django.utils import timezone

from permissions.grant_tables import expires_at_field, grant_tables
from permissions.types import VIRTUAL_TYPES, ObjectType, Permission, model_permissions

CONCRETE_TYPES = sorted(set(ObjectType.values) - VIRTUAL_TYPES)


def members_through(nesting: str, outer: str, inner: str) -> models.ManyToManyField:
    """The rows of the same model that a row contains, stored in the `nesting` table as (`outer`, `inner`)
    pairs; ``member_of`` is the reverse, the rows that contain it."""
    return models.ManyToManyField(
        "self", through=nesting, through_fields=(outer, inner), symmetrical=False, related_name="member_of", blank=True
    )


def nesting_constraints(outer: str, inner: str, *, prefix: str) -> list[models.BaseConstraint]:
    """What the database holds every nesting table to: a pair is stored once and no row contains itself
    (longer cycles are refused by the services, which can name them)."""
    return [
        models.UniqueConstraint(fields=[outer, inner], name=f"{prefix}_unique"),
        models.CheckConstraint(condition=~Q(**{outer: models.F(inner)}), name=f"{prefix}_not_self"),
    ]


class NamedRecord(models.Model):
    """What the named records of an organization have in common (its groups and roles, its projects and
    all they hold, its saved views): an id, a name, who made it and when; listed newest first, shown by
    name, and none of Django's default model permissions (add, change, delete, view), since the engine
    decides who may do what."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    name = models.CharField(max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-created"]
        default_permissions = ()

    def __str__(self) -> str:
        return self.name


class PermissionGroup(NamedRecord):
    """An organization's permission group: member users (and service accounts) and member groups.

    Member users are stored in Django's user-group relation of :attr:`auth_group`, so guardian's own
    helpers see group grants; :class:`GroupNesting` holds the member groups. A group contains every user
    of its member groups, transitively.
    """

    acl_object_type = "group"
    acl_parent_field = "org"

    class Builtin(models.TextChoices):
        OWNERS = "owners", "Owners"
        ENGINEERS = "engineers", "Engineers"
        VIEWERS = "viewers", "Viewers"

    org = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="permission_groups", verbose_name="organization"
    )
    description = models.TextField(blank=True)
    builtin = models.CharField(max_length=20, choices=Builtin.choices, blank=True, default="", verbose_name="built-in")
    auth_group = models.OneToOneField(AuthGroup, on_delete=models.CASCADE, related_name="permission_group", editable=False)
    member_groups = members_through("GroupNesting", "group", "member_group")

    class Meta(NamedRecord.Meta):
        permissions = model_permissions("group")
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="group_name_unique_in_org"),
            models.UniqueConstraint(fields=["org", "builtin"], condition=~Q(builtin=""), name="group_one_builtin_of_each_kind"),
        ]

    @property
    def is_builtin(self) -> bool:
        return bool(self.builtin)


class GroupNesting(models.Model):
    """``group`` contains ``member_group``: every user of the member group is a user of the group (until
    ``expires_at``, if set)."""

    group = models.ForeignKey(PermissionGroup, on_delete=models.CASCADE, related_name="+")
    member_group = models.ForeignKey(PermissionGroup, on_delete=models.CASCADE, related_name="+")
    expires_at = expires_at_field()

    class Meta:
        constraints = nesting_constraints("group", "member_group", prefix="group_nesting")

    def __str__(self) -> str:
        return f"{self.member_group_id} in {self.group_id}"


class GroupMembershipExpiry(models.Model):
    """When a user's (or service account's) membership of a group stops counting.

    The membership itself is the row of Django's user-group relation (:class:`PermissionGroup` keeps its
    users there, for guardian), which has no column for it; a membership without a row here never
    expires. The services delete the row with the membership, and a row whose membership is gone is
    ignored by the engine.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(PermissionGroup, on_delete=models.CASCADE, related_name="membership_expiries")
    expires_at = models.DateTimeField(verbose_name="expires", help_text="From this instant the membership counts for nothing.")

    class Meta:
        verbose_name = "group membership expiry"
        verbose_name_plural = "group membership expiries"
        constraints = [models.UniqueConstraint(fields=["user", "group"], name="group_membership_expiry_unique")]
        indexes = [models.Index(fields=["expires_at"], name="group_membership_expiry_at")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class Role(NamedRecord):
    """A named set of (permission, restrict_object_type) pairs, plus the roles it inherits.

    A role with no organization is a system role (owner, engineer, viewer): anyone may be granted it and
    any role may inherit it, and nobody may edit it.
    """

    acl_object_type = "role"
    acl_parent_field = "org"

    org = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="roles", verbose_name="organization"
    )
    description = models.TextField(blank=True)
    member_roles = members_through("RoleNesting", "role", "member_role")

    class Meta(NamedRecord.Meta):
        permissions = model_permissions("role")
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], condition=Q(org__isnull=False), name="role_name_unique_in_org"),
            models.UniqueConstraint(fields=["name"], condition=Q(org__isnull=True), name="system_role_name_unique"),
        ]

    @property
    def is_system(self) -> bool:
        return self.org_id is None


class RolePermission(models.Model):
    """One (permission, restrict_object_type) pair of a role; an empty restriction means none."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="member_permissions")
    permission = models.CharField(max_length=20, choices=Permission.choices)
    restrict_object_type = models.CharField(
        max_length=20, choices=ObjectType.choices, blank=True, default="", verbose_name="restricted to type"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role", "permission", "restrict_object_type"], name="role_permission_unique"),
            models.CheckConstraint(condition=Q(permission__in=Permission.values), name="role_permission_valid"),
            models.CheckConstraint(
                condition=Q(restrict_object_type="") | Q(restrict_object_type__in=ObjectType.values),
                name="role_permission_restriction_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.permission} on {self.restrict_object_type or 'any type'}"


class RoleNesting(models.Model):
    """``role`` inherits every pair of ``member_role``, transitively."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="+")
    member_role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = nesting_constraints("role", "member_role", prefix="role_nesting")

    def __str__(self) -> str:
        return f"{self.member_role_id} in {self.role_id}"


class AclGrant(models.Model):
    """A grant that guardian's tables cannot express: a role, a restriction, or a virtual node.

    ``object_id`` names the node (for a virtual node, the organization or project it hangs on), so it is
    not a foreign key: the services that delete objects delete these rows in the same transaction.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="organization")
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
    object_id = models.UUIDField(verbose_name="object ID")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(PermissionGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    permission = models.CharField(max_length=20, choices=Permission.choices, null=True, blank=True)
    role = models.ForeignKey(Role, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    restrict_object_type = models.CharField(
        max_length=20, choices=ObjectType.choices, blank=True, default="", verbose_name="restricted to type"
    )
    created = models.DateTimeField(default=timezone.now)
    expires_at = expires_at_field()

    class Meta:
        ordering = ["-created"]
        verbose_name = "grant"
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="aclgrant_node"),
            models.Index(fields=["expires_at"], condition=Q(expires_at__isnull=False), name="aclgrant_expiring"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True) | Q(user__isnull=True, group__isnull=False),
                name="aclgrant_exactly_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(permission__isnull=False, role__isnull=True) | Q(permission__isnull=True, role__isnull=False),
                name="aclgrant_exactly_one_of_permission_and_role",
            ),
            models.CheckConstraint(
                condition=Q(role__isnull=True) | Q(restrict_object_type=""),
                name="aclgrant_no_restriction_with_role",
            ),
            models.CheckConstraint(condition=Q(object_type__in=ObjectType.values), name="aclgrant_object_type_valid"),
            models.CheckConstraint(
                condition=Q(permission__isnull=True) | Q(permission__in=Permission.values),
                name="aclgrant_permission_valid",
            ),
            models.CheckConstraint(
                condition=Q(restrict_object_type="") | Q(restrict_object_type__in=ObjectType.values),
                name="aclgrant_restriction_valid",
            ),
            # A plain permission on a concrete object belongs in guardian's tables, never here.
            models.CheckConstraint(
                condition=~Q(object_type__in=CONCRETE_TYPES, permission__isnull=False, restrict_object_type=""),
                name="aclgrant_not_a_guardian_grant",
            ),
            *[
                models.UniqueConstraint(
                    fields=["object_type", "object_id", subject, what, "restrict_object_type"],
                    condition=Q(**{f"{subject}__isnull": False, f"{what}__isnull": False}),
                    name=f"aclgrant_unique_{subject}_{what}",
                    violation_error_message=f"This {subject} already holds this {what} on this object.",
                )
                for subject in ("user", "group")
                for what in ("permission", "role")
            ],
        ]

    def __str__(self) -> str:
        what = self.permission or f"role {self.role_id}"
        return f"{what} on {self.object_type} {self.object_id}"


class AuditEvent(models.Model):
    """One change, written in the same transaction as the change itself."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    org = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events", verbose_name="organization"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_email = models.CharField(max_length=254, blank=True, help_text="The actor's email when the event was written.")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64, blank=True, verbose_name="target ID")
    target_name = models.CharField(max_length=255, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    origin = models.JSONField(default=dict, blank=True, help_text="Where the request came from: channel, address, agent, credential.")
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["org", "-created"], name="audit_org_created"),
            models.Index(fields=["org", "action", "-created"], name="audit_org_action_created"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type} {self.target_name or self.target_id}"


PermissionGroupUserObjectPermission, PermissionGroupGroupObjectPermission = grant_tables(PermissionGroup)
RoleUserObjectPermission, RoleGroupObjectPermission = grant_tables(Role)
