"""Groups and roles side by side. Both are principals an organization names and nests (a group holds member
groups, a role inherits member roles), and the services hold the same rules for both: a name is unique in
its organization and a reserved one is refused, creating and deleting one is checked by the engine, and no
cycle of nesting is stored, even when two changes race. The tests of those rules run once for each kind."""

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from permissions.models import GroupNesting, PermissionGroup, Role, RoleNesting
from permissions.services import groups, roles
from tests.access_helpers import custom_group, custom_role


@dataclass(frozen=True)
class NestingKind:
    """One kind, through its services: they are named ``<kind>_<action>`` and take the object by the kind's
    name (``group_update(actor=..., group=...)``), and an update adds members of the same kind with
    ``add_member_<kind>s``."""

    name: str
    services: ModuleType
    model: type
    make: Callable  # (org, name): one of the kind, written directly
    nestings: type
    nesting_org: str  # the lookup from a nesting to the organization of its outer member

    def __str__(self) -> str:
        return self.name

    def _service(self, action: str) -> Callable:
        return getattr(self.services, f"{self.name}_{action}")

    def create(self, **fields):
        return self._service("create")(**fields)

    def update(self, actor, obj, **changes):
        return self._service("update")(actor=actor, **{self.name: obj}, **changes)

    def delete(self, actor, obj) -> None:
        self._service("delete")(actor=actor, **{self.name: obj})

    def adding_members(self, *members) -> dict:
        """The update's changes adding `members` (of the same kind)."""
        return {f"add_member_{self.name}s": [member.pk for member in members]}

    def nest(self, actor, outer, inner):
        """Make `inner` a member of `outer` through the update service."""
        return self.update(actor, outer, **self.adding_members(inner))

    def nestings_in(self, org) -> int:
        return self.nestings.objects.filter(**{self.nesting_org: org}).count()


GROUPS = NestingKind("group", groups, PermissionGroup, lambda org, name: custom_group(org, name=name), GroupNesting, "group__org")
ROLES = NestingKind("role", roles, Role, custom_role, RoleNesting, "role__org")
NESTING_KINDS = [GROUPS, ROLES]
