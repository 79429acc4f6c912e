"""Every API route answers every HTTP method with a clear 2xx or 4xx, never a server error.

The routes are read from the URL configuration itself (``/v1`` and the SDK's routes), so a route added
later is covered without a change here. Each is asked with each method, an owner's key and an empty JSON
object, with path ids that name nothing and ids of objects that exist; a method a view does not serve is a
405 before any access check, and ``OPTIONS`` describes the view without building its inputs.
"""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Environment
from tests.api_helpers import api_client_for
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, owner_of
from tests.factories_secrets import AISecretFactory, EnvVarFactory

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "HEAD")
NOT_API = ("admin/", "static/")


def _routes(patterns, prefix: str = "") -> list[str]:
    routes = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and getattr(pattern.callback, "cls", None) is not None:
            routes.append(route)  # a DRF view (the pages are Django views, tested with the pages)
    return routes


API_ROUTES = sorted({r for r in _routes(get_resolver().url_patterns) if not r.startswith(NOT_API) and "openapi" not in r})


def test_the_route_list_covers_the_v1_api_and_the_sdk():
    assert "v1/service_token/<str:service_token_id>" in API_ROUTES
    assert "logs3" in API_ROUTES and "api/experiment/register" in API_ROUTES
    assert "environment/<str:environment_id>" in API_ROUTES
    assert len(API_ROUTES) > 50


@pytest.fixture(scope="module")
def built_world(module_db):
    org = OrganizationFactory()
    owner = owner_of(org)
    project = ProjectFactory(org=org)
    dataset = DatasetFactory(project=project)
    return {
        "client": api_client_for(owner, org),
        "ids": {
            "project": project.pk,
            "experiment": ExperimentFactory(project=project).pk,
            "dataset": dataset.pk,
            "organization": org.pk,
            "environment": Environment.objects.get(org=org, slug="staging").pk,
            "environment_slug": "staging",
            "object_type": "dataset",  # /environment-object/<object_type>/<object_id>/<environment_slug>
            "object": dataset.pk,
            "ai_secret": AISecretFactory(org=org).pk,
            "env_var": EnvVarFactory(org=org, project=project).pk,
        },
    }


def _path(route: str, ids: dict, *, existing: bool) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        kind = name.removesuffix("_id")
        if existing and kind in ids:
            return str(ids[kind])
        return "00000000-0000-4000-8000-000000000000" if name.endswith("id") else "x"

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


@pytest.mark.parametrize("route", API_ROUTES)
def test_every_method_on_every_route_is_answered_without_a_server_error(world, route):
    client = world["client"].client
    for existing in (False, True):
        path = _path(route, world["ids"], existing=existing)
        for method in METHODS:
            response = client.generic(method, path, json.dumps({}), content_type="application/json")
            assert response.status_code < 500, (method, path, response.content[:500])
            if response.status_code == 405 and route != "v1/docs":  # the docs page answers in HTML
                assert response["Content-Type"].startswith("application/json"), (method, path)


def test_a_method_a_view_does_not_serve_is_405_naming_it_before_any_access_check(world):
    client = world["client"].client
    for method, path in [("PATCH", "/v1/service_token"), ("TRACE", "/v1/service_token/x"), ("PUT", "/v1/experiment/x/fetch")]:
        response = client.generic(method, path)
        assert response.status_code == 405, (method, path)
        assert method in response.json()["error"]["message"]
    assert client.generic("PATCH", "/v1/service_token", HTTP_AUTHORIZATION="").status_code == 405


def test_options_describes_the_view_and_its_methods(world):
    response = world["client"].client.options("/v1/group")
    assert response.status_code == 200
    assert {"GET", "POST", "OPTIONS"} <= {m.strip() for m in response["Allow"].split(",")}
    assert response.json()["name"] and "actions" not in response.json()


def test_head_needs_what_get_needs(world):
    elsewhere = OrganizationFactory()
    stranger = api_client_for(owner_of(elsewhere), elsewhere)
    experiment_id = world["ids"]["experiment"]
    assert world["client"].client.head(f"/v1/experiment/{experiment_id}").status_code == 200
    assert stranger.client.head(f"/v1/experiment/{experiment_id}").status_code == 404
