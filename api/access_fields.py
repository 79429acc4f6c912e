"""The two enums of Braintrust's access model as serializer fields, each one schema component: the object
types (``AclObjectType``) and the permissions (``Permission``)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from permissions.types import ALL_PERMISSIONS, ObjectType

OBJECT_TYPE_HELP = "The object type that the ACL applies to"
PERMISSION_HELP = (
    "Each permission permits a certain type of operation on an object in the system\n\n"
    "Permissions can be assigned to to objects on an individual basis, or grouped into roles"
)


@extend_schema_field({"type": "string", "enum": list(ObjectType.values), "description": OBJECT_TYPE_HELP}, component_name="AclObjectType")
class AclObjectTypeField(serializers.ChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(choices=ObjectType.values, **kwargs)


@extend_schema_field({"type": "string", "enum": list(ALL_PERMISSIONS), "description": PERMISSION_HELP}, component_name="Permission")
class PermissionField(serializers.ChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(choices=ALL_PERMISSIONS, **kwargs)
