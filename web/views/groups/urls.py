"""The routes of Settings → Permission groups: the list, and each dialog as a page of its own (with the
Preview routes of the dialogs that have one)."""

from django.urls import path

from web.views.access_preview import routes_with_preview
from web.views.groups.access import GroupAccess
from web.views.groups.create import CreateGroup
from web.views.groups.delete import DeleteGroup
from web.views.groups.edit import EditGroup
from web.views.groups.list_page import GroupsPage
from web.views.groups.permissions import GroupPermissions

urlpatterns = [
    path("settings/groups/", GroupsPage.as_view(), name="groups"),
    path("settings/groups/create/", CreateGroup.as_view(), name="group-create"),
    *routes_with_preview("settings/groups/<uuid:group_id>/permissions/", GroupPermissions, "group-permissions"),
    path("settings/groups/<uuid:group_id>/access/", GroupAccess.as_view(), name="group-access"),
    *routes_with_preview("settings/groups/<uuid:group_id>/edit/", EditGroup, "group-edit"),
    path("settings/groups/<uuid:group_id>/delete/", DeleteGroup.as_view(), name="group-delete"),
]
