"""Helpers for API tests: clients authenticated with a bearer token or a browser session."""

import copy
import json

from django.test import Client
from django.utils import timezone

from accounts.models import ApiKey, Organization, User
from accounts.services.credentials import api_key_create


class ApiClient:
    """A JSON client for /v1 that sends a bearer token (or nothing) on every request."""

    def __init__(self, token: str | None = None, **defaults) -> None:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        self.client = Client(**headers, **defaults)

    def __deepcopy__(self, memo) -> "ApiClient":
        """A new client sending the same token and cookies (a shared world's copy for one test)."""
        fresh = ApiClient.__new__(ApiClient)
        fresh.client = Client(**self.client.defaults)
        fresh.client.cookies = copy.deepcopy(self.client.cookies, memo)
        return fresh

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {})

    def post(self, path: str, body=None):
        return self.client.post(path, json.dumps(body if body is not None else {}), content_type="application/json")

    def put(self, path: str, body=None):
        return self.client.put(path, json.dumps(body if body is not None else {}), content_type="application/json")

    def patch(self, path: str, body=None):
        return self.client.patch(path, json.dumps(body if body is not None else {}), content_type="application/json")

    def delete(self, path: str, body=None):
        if body is None:
            return self.client.delete(path)
        return self.client.delete(path, json.dumps(body), content_type="application/json")

    def raw_post(self, path: str, data: str, content_type: str = "application/json"):
        return self.client.post(path, data, content_type=content_type)


def api_client_for(user: User, org: Organization) -> ApiClient:
    """A client authenticated with a fresh API key of `user` in `org`."""
    _, raw = api_key_create(actor=user, org=org, name="test key")
    return ApiClient(raw)


def revoked_key_client(user: User, org: Organization) -> ApiClient:
    """A client whose API key was made for `user` in `org`, then revoked."""
    key, raw = api_key_create(actor=user, org=org, name="soon revoked")
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    return ApiClient(raw)


def send(client: ApiClient, method: str, path: str, body=None):
    """`method` on `path`, with `body` when there is one."""
    return getattr(client, method)(path) if body is None else getattr(client, method)(path, body)


def crud_calls(
    collection: str, object_id, created: dict, replaced: dict | None = None, patched: dict | None = None
) -> list[tuple[str, str, dict | None]]:
    """Every endpoint of the collection at `collection` (``/v1/prompt``) as ``(method, path, body)``: list,
    create with `created`, replace with `replaced` (where the collection has PUT), and read, patch (with
    `patched`, by default a new name) and delete of `object_id`."""
    one = f"{collection}/{object_id}"
    replace = [("put", collection, replaced)] if replaced is not None else []
    return [
        ("get", collection, None),
        ("post", collection, created),
        *replace,
        ("get", one, None),
        ("patch", one, patched or {"name": "X"}),
        ("delete", one, None),
    ]


# Clients whose credential no longer lets anyone in, by what is wrong with it: `(user, org) -> ApiClient`.
DEAD_CREDENTIALS = {
    "without-a-credential": lambda user, org: ApiClient(),
    "with-a-revoked-token": revoked_key_client,
}
