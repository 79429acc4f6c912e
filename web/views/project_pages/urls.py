"""The routes of a project's pages: its tabs, and each object's page and Permissions."""

from django.urls import path

from web.views.access_preview import routes_with_preview
from web.views.project_pages.kinds import KINDS
from web.views.project_pages.logs_tab import LogsTab, LogsViewDelete
from web.views.project_pages.object_detail import ObjectDetail
from web.views.project_pages.object_permissions import ObjectPermissions, ObjectPrincipals
from web.views.project_pages.objects_tab import tab_view

project = "p/<uuid:project_id>/"

urlpatterns = [
    path(project, tab_view("experiments"), name="project"),
    path(f"{project}logs/", LogsTab.as_view(), name="project-logs"),
    path(f"{project}logs/views/<uuid:view_id>/delete/", LogsViewDelete.as_view(), name="project-logs-view-delete"),
    *(path(f"{project}{slug}/", tab_view(slug), name=f"project-{slug}") for slug in KINDS),
    path(f"{project}<str:kind>/<uuid:object_id>/", ObjectDetail.as_view(), name="project-object"),
    *routes_with_preview(f"{project}<str:kind>/<uuid:object_id>/permissions/", ObjectPermissions, "object-permissions"),
    path(f"{project}<str:kind>/<uuid:object_id>/permissions/principals/", ObjectPrincipals.as_view(), name="object-principals"),
]
