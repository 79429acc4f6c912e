"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("api.sdk.urls")),
    path("", include("api.urls")),
    path("admin/", admin.site.urls),
    path("", include("web.urls")),
]
