"""``?dry_run=true``: what a change of access would do, answered instead of doing it.

This server's addition to Braintrust's ``POST /v1/acl/batch_update``, ``PATCH /v1/group/{group_id}`` and
``PUT /v1/group``.
The request is checked exactly as the real one (the same 4xx for the same refusals), then the same
service call runs as a dry run (:mod:`permissions.services.preview`): nothing is written, and the answer
is the effective difference, who gains and who loses which permission where, with the first rows of
each side, as ``application/vnd.access-preview+json`` (JSON; the schema's 200 answer lists it beside the
real call's ``application/json``).

A view accepts it on the methods it lists in ``dry_run_methods``; :class:`api.base.OrgScopedView` parses
the parameter (``true`` or ``false``, else a 400 naming it) and refuses it on any other method that
writes, so that a client asking for a dry run is never answered by a change.
"""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from api.access_fields import AclObjectTypeField
from permissions.engine.holdings import PRINCIPAL_KINDS
from permissions.exceptions import ValidationError
from permissions.services.preview import AccessChange, AccessPreview
from permissions.types import ALL_PERMISSIONS

ROWS_SHOWN = 50
# The media type of a dry run's answer: JSON, told apart from the real call's in the schema's 200 answer.
PREVIEW_MEDIA_TYPE = "application/vnd.access-preview+json"

DRY_RUN_HELP = (
    "This server's addition: `true` checks the request as the real one, then answers what it would change "
    "(an `AccessPreview`: who gains and who loses which permission where) and writes nothing. `false` or left "
    "out: the change is made."
)


def parse_dry_run(value: str | None) -> bool:
    """The ``dry_run`` query parameter: true or false (in any case), False when left out."""
    if value is None:
        return False
    words = {"true": True, "false": False}
    if value.strip().lower() not in words:
        raise ValidationError(f"dry_run must be true or false, not {value!r}.")
    return words[value.strip().lower()]


def change_json(change: AccessChange) -> dict:
    place = change.place
    return {
        "principal_type": change.principal.kind,
        "principal": {"id": str(change.principal.id), "name": change.principal_name},
        "permission": change.permission,
        "object_type": place.node_type,
        "object_id": str(place.node_id),
        "object_name": change.place_name,
        "restrict_object_type": place.restrict_object_type,
    }


def _side_json(changes: tuple[AccessChange, ...]) -> dict:
    return {
        "count": len(changes),
        "principals": len({change.principal for change in changes}),
        "nodes": len({change.place.node for change in changes}),
        "rows": [change_json(change) for change in changes[:ROWS_SHOWN]],
    }


def preview_json(preview: AccessPreview) -> dict:
    return {"dry_run": True, "gains": _side_json(preview.gains), "losses": _side_json(preview.losses)}


def preview_response(preview: AccessPreview) -> Response:
    """The answer of a dry run, as the schema declares it (``PREVIEW_MEDIA_TYPE``)."""
    return Response(preview_json(preview), content_type=PREVIEW_MEDIA_TYPE)


# The shapes, for the schema


class AccessPrincipalSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(help_text="A person's email, a service account's name, or a group's name")


@extend_schema_serializer(component_name="AccessChange")
class AccessChangeSerializer(serializers.Serializer):
    """One principal gaining (or losing) one permission on one object."""

    principal_type = serializers.ChoiceField(choices=PRINCIPAL_KINDS, help_text="A person, a service account, or a group")
    principal = AccessPrincipalSerializer()
    permission = serializers.ChoiceField(choices=ALL_PERMISSIONS)
    object_type = AclObjectTypeField()
    object_id = serializers.UUIDField()
    object_name = serializers.CharField(help_text="For organization, org_project, org_member and org_audit_logs: the organization's name")
    restrict_object_type = AclObjectTypeField(
        allow_null=True,
        help_text="Set when the permission is on the objects of this type below the object only (a restricted grant)",
    )


@extend_schema_serializer(component_name="AccessChanges")
class AccessChangesSerializer(serializers.Serializer):
    """One side of a preview: every change counted, the first ones listed."""

    count = serializers.IntegerField(help_text="How many (principal, permission, object) changes")
    principals = serializers.IntegerField(help_text="How many principals they concern")
    nodes = serializers.IntegerField(help_text="How many objects they concern")
    rows = AccessChangeSerializer(many=True, help_text=f"The first {ROWS_SHOWN}, by object, permission and principal")


@extend_schema_serializer(component_name="AccessPreview")
class AccessPreviewSerializer(serializers.Serializer):
    """What a change of access would do, answered by a dry run instead of the change: members (people and
    service accounts) and groups (what their membership alone gives) gaining and losing permissions."""

    dry_run = serializers.BooleanField(help_text="Always true: nothing was written")
    gains = AccessChangesSerializer()
    losses = AccessChangesSerializer()
