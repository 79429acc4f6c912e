"""The /v1 API's routes (Braintrust's paths), its OpenAPI schema and its interactive docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api import acl
from api.index import index

urlpatterns = [
    path("v1", index, name="api-index"),
    path("v1/acl", acl.AclCollectionView.as_view(), name="api-acl"),
    path("v1/acl/batch_update", acl.AclBatchUpdateView.as_view(), name="api-acl-batch-update"),
    path("v1/acl/batch-update", acl.AclBatchUpdateView.as_view(), name="api-acl-batch-update-legacy"),
    path("v1/acl/list_org", acl.AclListOrgView.as_view(), name="api-acl-list-org"),
    path("v1/acl/explain", acl.AclExplainView.as_view(), name="api-acl-explain"),
    path("v1/acl/<str:acl_id>", acl.AclDetailView.as_view(), name="api-acl-detail"),
    path("v1/openapi.json", SpectacularAPIView.as_view(), name="api-schema"),
    path("v1/docs", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
