"""Roles: the three system roles and an organization's own roles."""

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.db.models import Q

from permissions.audit import record_event
from permissions.audit_states import deleted_role_state, sorted_ids
from permissions.engine import invalidate_access_cache
from permissions.engine.guards import require, require_create
from permissions.engine.nodes import Node
from permissions.exceptions import ValidationError
from permissions.models import Role, RoleNesting, RolePermission
from permissions.services.groups import lock_organization, record_deletion, refuse_nesting_cycle
from permissions.services.names import create_named
from permissions.types import ALL_PERMISSIONS, CRUD_PERMISSIONS, ObjectType

SYSTEM_ROLES: dict[str, tuple[str, ...]] = {
    "owner": ALL_PERMISSIONS,
    "engineer": CRUD_PERMISSIONS,
    "viewer": ("read",),
}

Pair = tuple[str, str | None]


def ensure_system_roles(**_signal_kwargs) -> None:
    """Create the system roles owner, engineer and viewer if they are missing (runs after migrate)."""
    for name, permissions in SYSTEM_ROLES.items():
        role, created = Role.objects.get_or_create(org=None, name=name, defaults={"description": f"System role: {name}"})
        if created:
            RolePermission.objects.bulk_create([RolePermission(role=role, permission=p) for p in permissions])


def _refuse_system_role_name(name: str) -> None:
    """An organization's role may not take a system role's name, in any case: "owner" must mean one thing."""
    if name.casefold() in SYSTEM_ROLES:
        raise ValidationError(f"{name!r} is the name of the system role {name.casefold()!r}; choose another name.")


def system_role(name: str) -> Role:
    return Role.objects.get(org__isnull=True, name=name)


def role_state(role: Role) -> dict:
    return {
        "name": role.name,
        "description": role.description,
        "member_permissions": [
            [permission, restriction or None]
            for permission, restriction in sorted(role.member_permissions.values_list("permission", "restrict_object_type"))
        ],
        "member_roles": sorted_ids(role.member_roles.values_list("id", flat=True)),
    }


def _clean_pairs(pairs: Iterable) -> set[tuple[str, str]]:
    cleaned = set()
    for pair in pairs:
        if isinstance(pair, dict):
            permission, restrict = pair.get("permission"), pair.get("restrict_object_type")
        else:
            permission, restrict = pair
        if permission not in ALL_PERMISSIONS:
            raise ValidationError(f"permission must be one of {', '.join(ALL_PERMISSIONS)}, not {permission!r}.")
        if restrict and restrict not in ObjectType.values:
            raise ValidationError(f"restrict_object_type must be an object type, not {restrict!r}.")
        cleaned.add((permission, restrict or ""))
    return cleaned


def _roles_for(org, role_ids: Iterable[UUID]) -> list[Role]:
    ids = {UUID(str(r)) for r in role_ids}
    roles = [r for r in Role.objects.filter(pk__in=ids) if r.org_id in (None, org.pk)]
    missing = ids - {r.pk for r in roles}
    if missing:
        raise ValidationError(f"Not roles of this organization: {', '.join(sorted(map(str, missing)))}.")
    return roles


def _add_member_roles(role: Role, members: list[Role]) -> None:
    for member in members:
        edges = RoleNesting.objects.filter(Q(role__org_id=role.org_id) | Q(role__org__isnull=True)).values_list("role_id", "member_role_id")
        refuse_nesting_cycle(role, member, edges)  # read per member: those added before it are edges now
        RoleNesting.objects.get_or_create(role=role, member_role=member)


@transaction.atomic
def role_create(
    *, actor, org, name: str, description: str = "", member_permissions: Iterable = (), member_roles: Iterable[UUID] = ()
) -> Role:
    require_create(actor, "role", Node("organization", org.pk))
    name = (name or "").strip()
    if not name:
        raise ValidationError("A role needs a name.")
    _refuse_system_role_name(name)
    pairs = _clean_pairs(member_permissions)
    members = _roles_for(org, member_roles)
    role = create_named(
        Role,
        taken=Role.objects.filter(org=org, name=name),
        refusal=f"A role named {name!r} already exists in this organization.",
        org=org,
        name=name,
        description=description or "",
        created_by=actor,
    )
    RolePermission.objects.bulk_create([RolePermission(role=role, permission=p, restrict_object_type=r) for p, r in pairs])
    _add_member_roles(role, members)
    record_event(actor=actor, org=org, action="role.create", target=role, after=role_state(role))
    invalidate_access_cache()
    return role


@transaction.atomic
def role_update(
    *,
    actor,
    role: Role,
    name: str | None = None,
    description: str | None = None,
    add_member_permissions: Iterable = (),
    remove_member_permissions: Iterable = (),
    add_member_roles: Iterable[UUID] = (),
    remove_member_roles: Iterable[UUID] = (),
) -> Role:
    if role.is_system:
        raise ValidationError(f"The system role {role.name} cannot be edited.")
    require(actor, "update", role)
    lock_organization(role.org_id)
    role = Role.objects.select_for_update(no_key=True).get(pk=role.pk)
    before = role_state(role)
    if name is not None and name.strip() != role.name:
        name = name.strip()
        if not name:
            raise ValidationError("A role needs a name.")
        _refuse_system_role_name(name)
        if Role.objects.filter(org_id=role.org_id, name=name).exclude(pk=role.pk).exists():
            raise ValidationError(f"A role named {name!r} already exists in this organization.")
        role.name = name
    if description is not None:
        role.description = description
    role.save(update_fields=["name", "description"])
    for permission, restrict in _clean_pairs(add_member_permissions):
        RolePermission.objects.get_or_create(role=role, permission=permission, restrict_object_type=restrict)
    for permission, restrict in _clean_pairs(remove_member_permissions):
        RolePermission.objects.filter(role=role, permission=permission, restrict_object_type=restrict).delete()
    _add_member_roles(role, _roles_for(role.org, add_member_roles))
    RoleNesting.objects.filter(role=role, member_role_id__in=[UUID(str(r)) for r in remove_member_roles]).delete()
    after = role_state(role)
    if after != before:
        record_event(actor=actor, org=role.org, action="role.update", target=role, before=before, after=after)
    invalidate_access_cache()
    return role


@transaction.atomic
def role_delete(*, actor, role: Role) -> None:
    if role.is_system:
        raise ValidationError(f"The system role {role.name} cannot be deleted.")
    require(actor, "delete", role)
    record_deletion(actor, role, lambda deleted: {**role_state(deleted), **deleted_role_state(deleted)})
    role.delete()  # cascades to its pairs, nesting rows and every grant of it
    invalidate_access_cache()
