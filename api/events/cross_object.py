"""``POST /v1/insert``: events and feedback for any number of experiments, datasets and project logs at once.

The view is a parser in front of the same writes as each object's own ``/insert`` and ``/feedback`` (and
as the SDK's ``/logs3``): :mod:`api.events.cross_object_body` turns the body into each object's writes,
the view declares update on every object they name (so :class:`permissions.drf.EngineAccess` answers 404
or 403 before anything is written, as docs/access-model.md says for that object alone), and
:func:`projects.events.writes.write_batch` writes them in one transaction: all of them, or none.
"""

from functools import cached_property

from django.db import transaction
from django.urls import path
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.events.cross_object_body import KINDS, parse_cross_object_body
from api.events.serializers import KIND_LABELS, KIND_NAMES, ROW_SHAPES, InsertEventsResponseSerializer
from api.schema import operation_schema
from permissions.requirements import Needs
from projects.events.writes import TargetWrites, write_batch

# Schema shapes: the body is read by the parser above, so these describe it only.


def _entry_serializer(kind: str) -> serializers.Serializer:
    """``{events, feedback}`` of one object of `kind`, items as its own insert and feedback take them."""
    label, shapes = KIND_LABELS[kind], ROW_SHAPES[kind]
    fields = {
        "events": serializers.ListField(
            child=shapes.insert_item(), required=False, allow_null=True, help_text=f"A list of {label} events to insert"
        ),
        "feedback": serializers.ListField(
            child=shapes.feedback_item(), required=False, allow_null=True, help_text=f"A list of {label} feedback items"
        ),
    }
    name = f"CrossObjectInsert{KIND_NAMES[kind]}Entry"
    entry = type(name, (serializers.Serializer,), {"__doc__": f"What to write into one {label}", "__module__": __name__, **fields})
    return extend_schema_serializer(component_name=name)(entry)()


_OBJECT_IDS = {"experiment": "experiment id", "dataset": "dataset id", "project_logs": "project id"}


@extend_schema_serializer(component_name="CrossObjectInsertRequest")
class CrossObjectInsertRequestSerializer(serializers.Serializer):
    """A mapping from event object type -> object id -> events to insert. Unknown fields are refused."""

    experiment, dataset, project_logs = (
        serializers.DictField(
            child=_entry_serializer(kind),
            required=False,
            allow_null=True,
            help_text=f"A mapping from {_OBJECT_IDS[name]} to a set of log events and feedback items to insert",
        )
        for name, kind in KINDS.items()
    )


@extend_schema_serializer(component_name="CrossObjectInsertResponse")
class CrossObjectInsertResponseSerializer(serializers.Serializer):
    """The row ids of the events inserted into each object, by the kinds and ids the request named."""

    experiment, dataset, project_logs = (
        serializers.DictField(
            child=InsertEventsResponseSerializer(),
            required=False,
            allow_null=True,
            help_text=f"A mapping from {_OBJECT_IDS[name]} to row ids for inserted `events`",
        )
        for name in KINDS
    )


class CrossObjectInsertView(OrgScopedView):
    """Events and feedback for several objects, written whole or not at all."""

    @cached_property
    def writes(self) -> list[tuple[str, str, TargetWrites]]:
        return parse_cross_object_body(self.request.data, org_id=self.org.pk)

    def requirements_post(self):
        return [Needs("update", write.target.node) for _, _, write in self.writes]

    @operation_schema(
        "postCrossObjectInsert",
        tag="CrossObject",
        summary="Cross-object insert",
        answer=CrossObjectInsertResponseSerializer,
        description="Insert events and feedback across object types: for each experiment, dataset and project's logs "
        "named, its events (as its own `/insert` takes them) and then its feedback (as its own `/feedback` does). Needs "
        "update on every object named (on the project's logs, project_log); one refused object or item refuses the whole "
        "request, and nothing is written. A refusal of the body names the path of the field, e.g. "
        "`experiment.<id>.events[2].scores.accuracy`.",
        request=CrossObjectInsertRequestSerializer,
    )
    def post(self, request: Request) -> Response:
        with transaction.atomic():
            row_ids = write_batch(actor=request.user, writes=[write for _, _, write in self.writes])
        answer: dict[str, dict] = {}
        for (name, key, _), ids in zip(self.writes, row_ids, strict=True):
            answer.setdefault(name, {})[key] = {"row_ids": ids}
        return Response(answer)


urlpatterns = [path("v1/insert", CrossObjectInsertView.as_view(), name="api-cross-object-insert")]
