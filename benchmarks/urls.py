"""The site's routes plus unrestricted twins of two list views, to measure what access control costs.

``/v1/bench-unrestricted/project`` and ``/v1/bench-unrestricted/experiment`` serve ``GET /v1/project`` and
``GET /v1/experiment`` through subclasses of the real views that differ in one method only:
``visible_queryset`` returns the organization's rows without the engine's restriction. Authentication,
organization scoping, the declared requirements, filters, pagination and serializers are the real
views' own. Only :mod:`benchmarks.settings` routes them; production never loads this module.

The twins sit under ``/v1`` so that the middleware and error handlers treat them as API requests, like
the real views, and before the site's routes so that resolving them costs no more than resolving the
real ones (the real routes pay two extra non-matching patterns, a negligible bias against them).
"""

from django.db.models import QuerySet
from django.urls import path

from api.experiments import ExperimentCollectionView
from api.projects import ProjectCollectionView
from braintrust_site.urls import handler400, handler403, handler404, handler500
from braintrust_site.urls import urlpatterns as site_urlpatterns

UNRESTRICTED_PREFIX = "/v1/bench-unrestricted/"

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


class WithoutRestriction:
    """Lists the organization's rows as ``OrgScopedView.get_queryset`` scopes them, without the engine.

    ``OrgScopedView`` seals ``get_queryset`` so that no view can widen what a caller reads; this mixin
    leaves it alone and overrides ``visible_queryset``, the one step of a list that asks the engine, so
    that a benchmark can time the same view with and without that step. It is acceptable only here:
    these views are routed by :mod:`benchmarks.urls` alone, which production never loads.
    """

    def visible_queryset(self, *, listing: bool = False) -> QuerySet:
        return self.get_queryset()


class UnrestrictedProjectListView(WithoutRestriction, ProjectCollectionView):
    """``GET /v1/project`` without the engine's restriction (benchmark only)."""


class UnrestrictedExperimentListView(WithoutRestriction, ExperimentCollectionView):
    """``GET /v1/experiment`` without the engine's restriction (benchmark only)."""


urlpatterns = [
    path(f"{UNRESTRICTED_PREFIX.lstrip('/')}project", UnrestrictedProjectListView.as_view(), name="bench-unrestricted-project"),
    path(f"{UNRESTRICTED_PREFIX.lstrip('/')}experiment", UnrestrictedExperimentListView.as_view(), name="bench-unrestricted-experiment"),
    *site_urlpatterns,
]
