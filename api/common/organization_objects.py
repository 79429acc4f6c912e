"""What an organization's named objects with members (``/v1/group``, ``/v1/role``) have in common beyond
their views (:mod:`api.named_objects`): the fields of their shapes and how a body becomes a service call.

A kind is declared once, as a :class:`NamedObjectSpec`: its name, its services, and its lists of members
(:class:`MemberList`: a group's users and groups, a role's permissions and roles). Its input shapes, the
common part of its output shape and its writes follow from that, so that both kinds keep Braintrust's
words and conventions alike: ``PUT`` replaces the description and every member list, ``PATCH`` adds
and removes members, a field left out or null leaves what it names as it is.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request

from accounts.models import Organization
from api.inputs import StrictCharField, StrictSerializer, uuid_list
from api.named_objects import NamedObjectKind


@dataclass(frozen=True)
class MemberList:
    """One list of members of a named object, as bodies, answers and services name it.

    `name` is the field of the answer and of a create body, and the create service's keyword
    (``member_users``); a PATCH body and the update service say ``add_<name>`` and ``remove_<name>``.
    """

    name: str
    help: str  # of the field in the answer and in a create body
    add_help: str
    remove_help: str
    input: Callable[[str], serializers.Field]  # the request field, given its help
    output: Callable[[str], serializers.Field]  # the answer's field, given its help
    parse: Callable[[Any], Collection]  # a validated value (None when left out) -> what the services take
    parse_set: Callable[[Any], set]  # the same, as a set to compare with `current`
    current: Callable[[Any], set]  # an object loaded with its members -> its members, as `parse_set` gives them


def id_members(name: str, *, source: str, help: str, add_help: str, remove_help: str) -> MemberList:
    """A list of member ids (users, groups, roles), read off the attribute `source` that the kind's
    ``with_members`` sets on each object."""
    return MemberList(
        name=name,
        help=help,
        add_help=add_help,
        remove_help=remove_help,
        input=uuid_list,
        output=lambda help_text: serializers.ListField(child=serializers.UUIDField(), source=source, read_only=True, help_text=help_text),
        parse=lambda ids: ids or (),
        parse_set=lambda ids: set(ids or ()),
        current=lambda obj: set(getattr(obj, source)),
    )


def inherited_members(object_type: str, *, contents: str) -> MemberList:
    """The list of objects of the same kind that an object of `object_type` inherits from: it holds all
    the `contents` they hold ("users" for a group, "permissions" for a role), inherited ones included."""
    kinds = f"{object_type}s"
    return id_members(
        f"member_{kinds}",
        source=f"member_{object_type}_ids",
        help=f"Ids of the {kinds} this {object_type} inherits from. An inheriting {object_type} has all the {contents} contained in "
        f"its member {kinds}, as well as all of their inherited {contents}",
        add_help=f"A list of {object_type} IDs to add to the {object_type}'s inheriting-from set",
        remove_help=f"A list of {object_type} IDs to remove from the {object_type}'s inheriting-from set",
    )


def _serializer(name: str, base: type[serializers.Serializer], doc: str | None, fields: dict[str, serializers.Field]) -> type:
    return type(name, (base,), {"__doc__": doc, "__module__": __name__, **fields})


@dataclass(frozen=True)
class NamedObjectSpec:
    """One kind of named object with members: its name, its member lists and its services."""

    object_type: str  # "group" or "role": the words of the shapes, and the services' keyword for the object
    members: tuple[MemberList, ...]
    create_service: Callable[..., Model]  # (actor, org, name, description, <member list names>) -> the object
    update_service: Callable[..., Model]  # (actor, <object_type>, name, description, add_/remove_<names>) -> the object
    delete_service: Callable[..., Any]  # (actor, <object_type>) -> None

    def output_base(self) -> type[serializers.Serializer]:
        """The fields of the kind's answer, for its output serializer to subclass with its own docstring
        (and a field of its own where the kind's words differ)."""
        kind = self.object_type
        return _serializer(
            f"{kind.capitalize()}OutputFields",
            serializers.Serializer,
            None,
            {
                "id": serializers.UUIDField(read_only=True, help_text=f"Unique identifier for the {kind}"),
                "org_id": serializers.UUIDField(read_only=True, help_text=f"Unique id for the organization that the {kind} belongs under"),
                "user_id": serializers.UUIDField(
                    source="created_by_id", read_only=True, allow_null=True, help_text=f"Identifies the user who created the {kind}"
                ),
                "created": serializers.DateTimeField(read_only=True, allow_null=True, help_text=f"Date of {kind} creation"),
                "name": serializers.CharField(read_only=True, help_text=f"Name of the {kind}"),
                "description": serializers.CharField(read_only=True, allow_null=True, help_text=f"Textual description of the {kind}"),
                "deleted_at": serializers.DateTimeField(
                    read_only=True, allow_null=True, help_text=f"Date of {kind} deletion, or null if the {kind} is still active"
                ),
                **{member.name: member.output(member.help) for member in self.members},
            },
        )

    def input_serializers(self) -> tuple[type[StrictSerializer], type[StrictSerializer]]:
        """The create (and replace) body and the PATCH body, as Braintrust names them (``CreateGroup``, ``PatchGroup``)."""
        kind, title = self.object_type, self.object_type.capitalize()
        create = _serializer(
            f"Create{title}Serializer",
            StrictSerializer,
            f"A new {kind}, or the new contents of the {kind} with that name. Unknown fields are refused.",
            {
                "name": StrictCharField(min_length=1, max_length=255, help_text=f"Name of the {kind}"),
                "description": self._description_field(),
                **{member.name: member.input(member.help) for member in self.members},
                "org_name": StrictCharField(
                    required=False,
                    allow_null=True,
                    help_text=f"The organization the {kind} belongs in, for a caller that belongs to several",
                ),
            },
        )
        patch_fields = {
            "name": StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text=f"Name of the {kind}"),
            "description": self._description_field(),
        }
        for member in self.members:  # in this order: fields are listed in the order they are made
            patch_fields[f"add_{member.name}"] = member.input(member.add_help)
            patch_fields[f"remove_{member.name}"] = member.input(member.remove_help)
        patch = _serializer(
            f"Patch{title}Serializer",
            StrictSerializer,
            f"The changes to make to a {kind}; fields left out or null are left as they are. Unknown fields are refused.",
            patch_fields,
        )
        return (
            extend_schema_serializer(component_name=f"Create{title}")(create),
            extend_schema_serializer(component_name=f"Patch{title}")(patch),
        )

    def _description_field(self) -> StrictCharField:
        return StrictCharField(
            required=False, allow_null=True, allow_blank=True, help_text=f"Textual description of the {self.object_type}"
        )

    def kind(self, *, model: type[Model], output: type[serializers.Serializer], with_members: Callable[[list], list]) -> NamedObjectKind:
        """The kind the views of :mod:`api.named_objects` serve, reading and writing the spec's shapes
        through its services."""
        create_input, patch_input = self.input_serializers()
        return NamedObjectKind(
            object_type=self.object_type,
            model=model,
            output=output,
            create_input=create_input,
            patch_input=patch_input,
            with_members=with_members,
            member_lists=tuple(member.name for member in self.members),
            create=self.create,
            replace=self.replace,
            update=self.update,
            delete=self.delete,
        )

    def create(self, request: Request, org: Organization, data: dict) -> Model:
        return self.create_service(
            actor=request.user,
            org=org,
            name=data["name"],
            description=data.get("description") or "",
            **{member.name: member.parse(data.get(member.name)) for member in self.members},
        )

    def replace(self, request: Request, obj: Model, data: dict) -> Model:
        """Give `obj` (loaded with its members) the body's description and members: the update adds
        the members the body names that `obj` lacks and removes those it has that the body leaves out."""
        changes = {}
        for member in self.members:
            wanted, current = member.parse_set(data.get(member.name)), member.current(obj)
            changes[f"add_{member.name}"] = wanted - current
            changes[f"remove_{member.name}"] = current - wanted
        return self.update_service(actor=request.user, **{self.object_type: obj}, description=data.get("description") or "", **changes)

    def update(self, request: Request, obj: Model, data: dict) -> Model:
        changes = {}
        for member in self.members:
            for change in (f"add_{member.name}", f"remove_{member.name}"):
                changes[change] = member.parse(data.get(change))
        return self.update_service(
            actor=request.user, **{self.object_type: obj}, name=data.get("name"), description=data.get("description"), **changes
        )

    def delete(self, request: Request, obj: Model) -> Any:
        return self.delete_service(actor=request.user, **{self.object_type: obj})
