"""The /v1 API's routes (Braintrust's paths), its OpenAPI schema and its interactive docs."""

from django.urls import path
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from api import (
    access,
    acl,
    ai_secrets,
    credentials,
    dataset_snapshots,
    env_vars,
    environment_objects,
    environments,
    events,
    experiments,
    group_member_expiry,
    groups,
    organizations,
    playgrounds,
    project_config,
    projects,
    prompts,
    roles,
    saved_views,
    span_iframes,
    users,
)
from api.index import index

urlpatterns = [
    path("v1", index, name="api-index"),
    path("v1/acl", acl.AclCollectionView.as_view(), name="api-acl"),
    path("v1/acl/batch_update", acl.AclBatchUpdateView.as_view(), name="api-acl-batch-update"),
    path("v1/acl/batch-update", acl.AclBatchUpdateView.as_view(), name="api-acl-batch-update-legacy"),
    path("v1/access/who_can", access.WhoCanView.as_view(), name="api-access-who-can"),
    path("v1/access/what_can", access.WhatCanView.as_view(), name="api-access-what-can"),
    path("v1/access/who_could", access.WhoCouldView.as_view(), name="api-access-who-could"),
    path("v1/acl/list_org", acl.AclListOrgView.as_view(), name="api-acl-list-org"),
    path("v1/acl/explain", acl.AclExplainView.as_view(), name="api-acl-explain"),
    path("v1/acl/<str:acl_id>", acl.AclDetailView.as_view(), name="api-acl-detail"),
    path("v1/api_key", credentials.ApiKeyCollectionView.as_view(), name="api-api-key"),
    path("v1/api_key/<str:api_key_id>", credentials.ApiKeyDetailView.as_view(), name="api-api-key-detail"),
    path("v1/service_token", credentials.ServiceTokenCollectionView.as_view(), name="api-service-token"),
    path("v1/service_token/<str:service_token_id>", credentials.ServiceTokenDetailView.as_view(), name="api-service-token-detail"),
    path("v1/group", groups.GroupCollectionView.as_view(), name="api-group"),
    path("v1/group/<str:group_id>", groups.GroupDetailView.as_view(), name="api-group-detail"),
    path("v1/group/<str:group_id>/member_expiry", group_member_expiry.GroupMemberExpiryView.as_view(), name="api-group-member-expiry"),
    path("v1/role", roles.RoleCollectionView.as_view(), name="api-role"),
    path("v1/role/<str:role_id>", roles.RoleDetailView.as_view(), name="api-role-detail"),
    path("v1/organization", organizations.OrganizationCollectionView.as_view(), name="api-organization"),
    path("v1/organization/members", organizations.OrganizationMembersView.as_view(), name="api-organization-members"),
    path("v1/organization/<str:organization_id>", organizations.OrganizationDetailView.as_view(), name="api-organization-detail"),
    path("v1/user", users.UserCollectionView.as_view(), name="api-user"),
    path("v1/user/<str:user_id>", users.UserDetailView.as_view(), name="api-user-detail"),
    *projects.urlpatterns,
    *project_config.urlpatterns,
    *span_iframes.urlpatterns,
    *experiments.urlpatterns,
    *events.urlpatterns,
    *prompts.urlpatterns,
    *playgrounds.urlpatterns,
    *dataset_snapshots.urlpatterns,
    *environments.urlpatterns,  # outside /v1, where Braintrust serves them
    *environment_objects.urlpatterns,
    *saved_views.urlpatterns,
    *ai_secrets.urlpatterns,
    *env_vars.urlpatterns,
    path("v1/openapi.json", SpectacularJSONAPIView.as_view(), name="api-schema"),
    # A page: only GET and HEAD (DRF would render any other method's 405 through the page's HTML template).
    path("v1/docs", require_safe(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
]
