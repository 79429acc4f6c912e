"""The decision rule of ACCESS_MODEL.md as a database filter.

``can(X, p, N)`` holds iff X is a member of N's organization and some grant on a node of chain(N), to X or
to a group containing X, yields (p, r) with r empty or N's type. :func:`permission_filter` states exactly
that as a ``Q`` over the model of N (one ``EXISTS`` per store and level of the chain), so a list is
restricted by the same expression that answers a single check.
"""

from functools import reduce
from operator import or_
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from permissions.engine.cache import cache_get, cache_set
from permissions.engine.nodes import ChainPlan, Node, chain_plan, is_concrete, model_for_type
from permissions.engine.subjects import principal_group_ids, roles_yielding
from permissions.models import AclGrant
from permissions.types import ALL_PERMISSIONS, PARENT_TYPE, codename


def _membership_model():
    return get_user_model()._meta.get_field("memberships").related_model


def permission_filter(principal_id: UUID, permission: str, node_type: str, plan: ChainPlan) -> Q:
    """A filter on ``plan.anchor`` rows: does the principal hold `permission` on a `node_type` there?"""
    org = OuterRef(plan.org_lookup)
    groups = principal_group_ids(principal_id)
    yields = Q(permission=permission, restrict_object_type__in=["", node_type]) | Q(role_id__in=roles_yielding(permission, node_type))
    reasons = []
    for level in plan.levels:
        node_id = OuterRef(level.lookup)
        if is_concrete(level.type):
            model = model_for_type(level.type)
            perm = codename(permission, level.type)
            reasons.append(
                Exists(
                    get_user_obj_perms_model(model).objects.filter(
                        content_object_id=node_id, user_id=principal_id, permission__codename=perm
                    )
                )
            )
            reasons.append(
                Exists(
                    get_group_obj_perms_model(model).objects.filter(
                        content_object_id=node_id,
                        permission__codename=perm,
                        group__permission_group__id__in=groups,
                        group__permission_group__org_id=org,
                    )
                )
            )
        reasons.append(
            Exists(
                AclGrant.objects.filter(object_type=level.type, object_id=node_id, org_id=org)
                .filter(Q(user_id=principal_id) | Q(group_id__in=groups))
                .filter(yields)
            )
        )
    member = Exists(_membership_model().objects.filter(user_id=principal_id, org_id=org))
    return Q(member) & reduce(or_, (Q(reason) for reason in reasons))


def is_acting_principal(principal) -> bool:
    """Anonymous visitors and deactivated accounts hold nothing, whatever grants name them."""
    return principal is not None and getattr(principal, "is_authenticated", False) and principal.is_active


def restrict(queryset: QuerySet, principal, permission: str = "read") -> QuerySet:
    """`queryset` narrowed, in the database, to the rows on which `principal` holds `permission`."""
    if not is_acting_principal(principal):
        return queryset.none()
    object_type = queryset.model.acl_object_type
    return queryset.filter(permission_filter(principal.pk, permission, object_type, chain_plan(object_type)))


def effective_permissions(principal, node: Node) -> frozenset[str]:
    """Every permission the principal holds on an existing node: one query, then none within a request."""
    key = ("node", principal.pk, node)
    cached = cache_get(key)
    if cached is not None:
        return cached
    plan = chain_plan(node.type)
    flags = {
        permission: ExpressionWrapper(permission_filter(principal.pk, permission, node.type, plan), output_field=BooleanField())
        for permission in ALL_PERMISSIONS
    }
    row = plan.anchor._base_manager.filter(pk=node.id).annotate(**flags).values(*ALL_PERMISSIONS).first()
    held = frozenset(p for p in ALL_PERMISSIONS if row and row[p])
    cache_set(key, held)
    return held


def can_create(principal, object_type: str, parent: Node) -> bool:
    """May the principal create a node of `object_type` under `parent` (a create check on a new node)?"""
    if PARENT_TYPE.get(object_type) != parent.type:
        raise ValueError(f"A {object_type} cannot be created under a {parent.type}.")
    key = ("create", principal.pk, object_type, parent)
    cached = cache_get(key)
    if cached is not None:
        return cached
    plan = chain_plan(parent.type)
    allowed = plan.anchor._base_manager.filter(pk=parent.id).filter(permission_filter(principal.pk, "create", object_type, plan)).exists()
    cache_set(key, allowed)
    return allowed
