"""The site's own answers for errors outside a view: pages for people, the API's JSON shape on API paths."""

import json

import pytest
from django.test import RequestFactory

from braintrust_site import errors


@pytest.mark.parametrize(
    ("handler", "status", "heading"),
    [
        (errors.bad_request, 400, "Bad request"),
        (errors.permission_denied, 403, "Not allowed"),
        (errors.page_not_found, 404, "Page not found"),
        (errors.server_error, 500, "Server error"),
    ],
)
def test_pages_get_the_sites_own_page_and_api_paths_get_json(handler, status, heading):
    page = handler(RequestFactory().get("/app/acme/settings/"), *(() if status == 500 else (None,)))
    assert page.status_code == status
    text = page.content.decode()
    assert f"<h1>{heading}</h1>" in text and "Traceback" not in text and "{%" not in text
    for path in ("/v1/project", "/api/apikey/login", "/logs3"):
        answer = handler(RequestFactory().get(path), *(() if status == 500 else (None,)))
        assert answer.status_code == status
        assert json.loads(answer.content) == {"error": {"status": status, "message": errors.MESSAGES[status]}}


def test_the_500_page_needs_no_static_files_manifest(settings):
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    page = errors.server_error(RequestFactory().get("/"))
    assert page.status_code == 500 and "Server error" in page.content.decode()
