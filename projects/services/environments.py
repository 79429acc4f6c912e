"""Pinning a version of a prompt, function or dataset to one of the organization's environments.

A pin belongs to the object: moving or removing it needs update on the object (whoever may change the
prompt decides which of its versions production runs), reading it needs read on it. The environment is
the organization's and is only named here, so no permission on the organization is asked. The version
must be one the object has: a ``_xact_id`` a prompt kept, or a transaction that wrote to the dataset.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Environment
from permissions.audit import record_event
from permissions.engine.guards import require
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound, ValidationError
from projects.models import Dataset, EnvironmentObject, EventVersion, ObjectKind, Prompt, PromptVersion

PinnedObject = Prompt | Dataset

_MAX_XACT_ID = 2**63 - 1  # transaction ids are 64-bit


def parse_object_version(raw: object) -> int:
    """An ``object_version``: a transaction id, as a string of digits (Braintrust's ``_xact_id``)."""
    if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit()) or int(raw) > _MAX_XACT_ID:
        raise ValidationError(f"object_version must be a transaction id (a string of digits, an _xact_id), not {raw!r}.")
    return int(raw)


def is_version_of(obj: PinnedObject, version: int) -> bool:
    """Whether `version` is a version `obj` has: one a prompt kept, or a transaction that wrote to a dataset."""
    if isinstance(obj, Prompt):
        return PromptVersion.objects.filter(prompt=obj, xact_id=version).exists()
    return EventVersion.objects.filter(kind=ObjectKind.DATASET, object_id=obj.pk, xact_id=version).exists()


def _checked(actor, environment: Environment, obj: PinnedObject) -> Node:
    node = Node.of(obj)
    require(actor, "update", node)
    if environment.org_id != obj.project.org_id or environment.deleted_at is not None:
        raise NotFound("environment", environment.slug)
    return node


def _pin_state(pin: EnvironmentObject, obj: PinnedObject) -> dict:
    return {
        "environment": pin.environment.slug,
        "object_type": pin.object_type,
        "object_id": str(pin.object_id),
        "object_name": obj.name,
        "object_version": str(pin.object_version),
    }


@transaction.atomic
def environment_object_update(*, actor, environment: Environment, obj: PinnedObject, object_version: int) -> EnvironmentObject:
    """Pin `object_version` of `obj` to `environment`, or move its pin there (update on the object)."""
    node = _checked(actor, environment, obj)
    if not is_version_of(obj, object_version):
        raise ValidationError(f"object_version {object_version} is not a version of the {node.type} {obj.name}.")
    pin = EnvironmentObject.objects.select_for_update().filter(environment=environment, object_type=node.type, object_id=obj.pk).first()
    before = None
    if pin is None:
        pin = EnvironmentObject(environment=environment, object_type=node.type, object_id=obj.pk)
    else:
        before = _pin_state(pin, obj)
        if pin.object_version == object_version:
            return pin
    pin.object_version, pin.updated_by, pin.updated = object_version, actor, timezone.now()
    try:
        with transaction.atomic():
            pin.save()
    except IntegrityError as exc:  # pinned meanwhile by a concurrent request
        raise ValidationError(f"The {node.type} {obj.name} was pinned to {environment.slug} meanwhile: try again.") from exc
    after = _pin_state(pin, obj)
    record_event(
        actor=actor,
        org=environment.org,
        action="environment_object.update",
        target=pin,
        before=before or {**after, "object_version": None},
        after=after,
    )
    return pin


@transaction.atomic
def environment_object_delete(*, actor, environment: Environment, obj: PinnedObject) -> EnvironmentObject:
    """Remove the pin of `obj` from `environment` (update on the object); not pinned is "not found"."""
    node = _checked(actor, environment, obj)
    pin = EnvironmentObject.objects.select_for_update().filter(environment=environment, object_type=node.type, object_id=obj.pk).first()
    if pin is None:
        raise NotFound("environment object", f"{node.type}/{obj.pk}/{environment.slug}")
    record_event(actor=actor, org=environment.org, action="environment_object.delete", target=pin, before=_pin_state(pin, obj))
    pin.delete()
    return pin
