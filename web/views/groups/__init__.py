"""Settings → Permission groups: the groups a person may read, and creating, editing, granting and deleting them.

The list is restricted in the database to the groups the person may read. Each row offers what the
person may do to that group, from the engine: "Permissions" (what the group may do in the organization)
with create_acls on the organization, "Group access" (who may read, change, delete or manage the group)
with create_acls or read_acls on the group, "Edit" (name, description and members) with update on it, and
"Delete" with delete on it. Each dialog is also a page of its own, so everything works without
JavaScript; with htmx the page fetches the dialog and opens it in place. The services check every write
again and record the audit events; the permission dialogs read and write through ``permissions.boxes``.

A module a concern: :mod:`~.list_page` (the list), :mod:`~.dialogs` (what every dialog shares),
:mod:`~.create`, :mod:`~.permissions`, :mod:`~.access`, :mod:`~.edit` (name, description and members) and
:mod:`~.delete`, one dialog each; :mod:`~.urls` routes them.
"""

from web.views.groups.urls import urlpatterns

__all__ = ["urlpatterns"]
