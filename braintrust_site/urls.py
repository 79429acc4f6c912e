"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path

handler400 = "braintrust_site.errors.bad_request"
handler403 = "braintrust_site.errors.permission_denied"
handler404 = "braintrust_site.errors.page_not_found"
handler500 = "braintrust_site.errors.server_error"

urlpatterns = [
    path("", include("api.sdk.urls")),
    path("", include("api.urls")),
    path("admin/", admin.site.urls),
    path("", include("web.urls")),
]
