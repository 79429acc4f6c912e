"""``user.has_perm("projects.read_experiment", experiment)`` answered by the access engine.

Codenames are ``<permission>_<object type>``; a virtual type is asked on the object it hangs on, e.g.
``has_perm("accounts.delete_org_member", organization)`` or ``has_perm("projects.read_project_log",
project)``. Without an object the answer is no: every permission here is about a node.
"""

from permissions.engine import can
from permissions.engine.nodes import VIRTUAL_ANCHOR, Node
from permissions.types import parse_codename


class AccessEngineBackend:
    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        if obj is None or not user_obj.is_active:
            return False
        parsed = parse_codename(perm.rpartition(".")[2])
        if parsed is None:
            return False
        permission, object_type = parsed
        obj_type = getattr(obj, "acl_object_type", None)
        if obj_type is None or VIRTUAL_ANCHOR.get(object_type, object_type) != obj_type:
            return False
        return can(user_obj, permission, Node(object_type, obj.pk))

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        return set()
