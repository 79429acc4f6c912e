"""``/logs3`` overflow uploads: ask for a signed URL, PUT the payload there once, and take it back by key.

The URL works once, for the declared size, until it expires; the payload goes back only to the principal
that asked for it, in its organization, once, and a take that is rolled back leaves it takeable. The
purge deletes what expired or was consumed. Payloads are stored in a temporary folder per test.
"""

import io
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from braintrust.api._transport import HTTPConnection
from braintrust.logger import _HTTPBackgroundLogger
from django.core.files.storage import FileSystemStorage, storages
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts.services.credentials import api_key_create, service_account_create, service_token_create
from permissions.exceptions import NotFound, ValidationError
from projects.events.overflow import (
    PayloadTooLarge,
    overflow_payload_take,
    overflow_upload_create,
    overflow_upload_store,
    overflow_uploads_purge,
)
from projects.models import OverflowUpload
from tests.api_helpers import ApiClient, api_client_for
from tests.factories import OrganizationFactory, add_member, owner_of
from tests.race_helpers import run_racing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("overflow_dir")]

UPLOAD_PREFIX = "http://testserver/logs3/overflow/upload/"


def payload(rows: int = 3, filler: str = "x") -> bytes:
    """A /logs3 body as the SDK builds it."""
    events = [{"id": f"row{i}", "project_id": "p", "log_id": "g", "input": filler * 100} for i in range(rows)]
    return json.dumps({"rows": events, "api_version": 2}).encode()


def overflow_rows(count: int = 3) -> list[dict]:
    return [
        {"object_ids": {"project_id": "p", "log_id": "g"}, "has_comment": False, "is_delete": False, "input_row": {"byte_size": 120}}
        for _ in range(count)
    ]


def ask(client: ApiClient, size_bytes, **overrides):
    body = {"content_type": "application/json", "size_bytes": size_bytes, "rows": overflow_rows(), **overrides}
    return client.post("/logs3/overflow", body)


def put(url: str, data: bytes, content_type: str = "application/json"):
    """The SDK's PUT to the signed URL: no Authorization header."""
    return Client().put(url, data=data, content_type=content_type)


def stored_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def uploaded(owner, org, data: bytes) -> OverflowUpload:
    """An upload of `data` by `owner` in `org`, through the service."""
    upload, token = overflow_upload_create(actor=owner, org=org, size_bytes=len(data), content_type="application/json")
    overflow_upload_store(raw_token=token, stream=io.BytesIO(data), content_length=len(data), content_type="application/json")
    upload.refresh_from_db()
    return upload


# The round trip


def test_a_payload_put_to_the_signed_url_is_taken_back_byte_for_byte(org, owner, overflow_dir, django_capture_on_commit_callbacks):
    data = payload()
    answer = ask(api_client_for(owner, org), len(data))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == {"method", "signedUrl", "headers", "key"}
    assert body["method"] == "PUT" and body["headers"] == {"Content-Type": "application/json"}
    assert body["signedUrl"].startswith(UPLOAD_PREFIX)

    response = put(body["signedUrl"], data)
    assert (response.status_code, response.json()) == (200, {})
    assert stored_files(overflow_dir) == [body["key"]]

    with django_capture_on_commit_callbacks(execute=True):
        assert overflow_payload_take(actor=owner, org=org, key=body["key"]) == data
    assert OverflowUpload.objects.get(key=body["key"]).consumed_at is not None
    assert stored_files(overflow_dir) == []  # deleted once the take committed


def test_a_service_token_can_ask_for_an_upload_and_only_its_account_takes_it(org, owner):
    robot = service_account_create(actor=owner, org=org, name="ingest bot")
    _, raw = service_token_create(actor=owner, org=org, account_id=robot.pk, name="ingest")
    data = payload()
    body = ask(ApiClient(raw), len(data)).json()
    assert put(body["signedUrl"], data).status_code == 200
    with pytest.raises(ValidationError):
        overflow_payload_take(actor=owner, org=org, key=body["key"])
    assert overflow_payload_take(actor=robot, org=org, key=body["key"]) == data


def test_a_body_larger_than_the_request_size_limit_is_streamed_and_accepted(settings, org, owner):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    data = payload(rows=50)
    assert len(data) > 5000
    body = ask(api_client_for(owner, org), len(data)).json()
    assert put(body["signedUrl"], data).status_code == 200
    assert overflow_payload_take(actor=owner, org=org, key=body["key"]) == data


# The signed URL works once, for the declared size, until it expires


def test_a_second_put_to_the_same_url_is_refused_and_changes_nothing(org, owner, overflow_dir):
    first = payload(filler="a")
    body = ask(api_client_for(owner, org), len(first)).json()
    assert put(body["signedUrl"], first).status_code == 200
    uploaded_at = OverflowUpload.objects.get(key=body["key"]).uploaded_at

    second = put(body["signedUrl"], payload(filler="b"))
    assert second.status_code == 404
    assert OverflowUpload.objects.get(key=body["key"]).uploaded_at == uploaded_at
    assert (overflow_dir / body["key"]).read_bytes() == first
    assert stored_files(overflow_dir) == [body["key"]]


def test_an_unknown_token_is_answered_exactly_like_a_used_one(org, owner):
    data = payload()
    body = ask(api_client_for(owner, org), len(data)).json()
    put(body["signedUrl"], data)
    used = put(body["signedUrl"], data)
    unknown = put(UPLOAD_PREFIX + "not-a-token", data)
    assert (unknown.status_code, unknown.json()) == (used.status_code, used.json()) == (404, used.json())


def assert_put_refused_storing_nothing(body: dict, data: bytes, status: int, folder) -> None:
    """A PUT of `data` to the signed URL of `body` (the answer to the request for one) answers `status`, and
    neither the upload row nor the storage holds anything."""
    assert put(body["signedUrl"], data).status_code == status
    assert OverflowUpload.objects.get(key=body["key"]).uploaded_at is None
    assert stored_files(folder) == []


def test_an_expired_url_is_refused_and_nothing_is_stored(org, owner, overflow_dir):
    data = payload()
    body = ask(api_client_for(owner, org), len(data)).json()
    OverflowUpload.objects.filter(key=body["key"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_put_refused_storing_nothing(body, data, 404, overflow_dir)


def test_a_body_larger_than_declared_is_refused_and_nothing_is_stored(org, owner, overflow_dir):
    data = payload()
    body = ask(api_client_for(owner, org), len(data) - 1).json()
    assert_put_refused_storing_nothing(body, data, 413, overflow_dir)


def test_a_body_without_a_length_is_counted_while_streamed_and_refused_past_the_declared_size(org, owner, overflow_dir):
    data = payload()
    upload, token = overflow_upload_create(actor=owner, org=org, size_bytes=len(data) - 1, content_type="application/json")
    with pytest.raises(PayloadTooLarge):
        overflow_upload_store(raw_token=token, stream=io.BytesIO(data), content_length=None, content_type="application/json")
    upload.refresh_from_db()
    assert upload.uploaded_at is None
    assert stored_files(overflow_dir) == []


def test_a_body_over_the_maximum_is_refused_even_if_declared_smaller_than_it_is(settings, org, owner, overflow_dir):
    data = payload()
    _, token = overflow_upload_create(actor=owner, org=org, size_bytes=len(data), content_type="application/json")
    settings.LOGS3_OVERFLOW_MAX_BYTES = len(data) - 10
    with pytest.raises(PayloadTooLarge):
        overflow_upload_store(raw_token=token, stream=io.BytesIO(data), content_length=None, content_type=None)
    assert stored_files(overflow_dir) == []


def test_a_body_smaller_than_declared_is_refused_and_the_url_stays_usable(org, owner, overflow_dir):
    data = payload()
    body = ask(api_client_for(owner, org), len(data)).json()
    assert put(body["signedUrl"], data[:-1]).status_code == 400
    assert stored_files(overflow_dir) == []
    assert put(body["signedUrl"], data).status_code == 200


def test_a_body_of_another_content_type_is_refused(org, owner, overflow_dir):
    data = payload()
    body = ask(api_client_for(owner, org), len(data)).json()
    assert put(body["signedUrl"], data, content_type="text/plain").status_code == 400
    assert stored_files(overflow_dir) == []


def test_the_upload_url_answers_405_to_other_methods(org, owner):
    data = payload()
    body = ask(api_client_for(owner, org), len(data)).json()
    for response in (Client().get(body["signedUrl"]), Client().post(body["signedUrl"], data, content_type="application/json")):
        assert response.status_code == 405
        assert response["Allow"] == "PUT"
    assert OverflowUpload.objects.get(key=body["key"]).uploaded_at is None


# Taking the payload: its principal, in its organization, once


def test_another_member_or_another_org_cannot_take_the_payload_and_nothing_is_consumed(org, owner, overflow_dir):
    data = payload()
    upload = uploaded(owner, org, data)
    colleague = add_member(org, None, "owners")
    other_org = OrganizationFactory()
    add_member(other_org, owner)
    for actor, in_org in ((colleague, org), (owner_of(other_org), other_org), (owner, other_org)):
        with pytest.raises(ValidationError, match=r"rows\.key"):
            overflow_payload_take(actor=actor, org=in_org, key=upload.key)
    upload.refresh_from_db()
    assert upload.consumed_at is None
    assert stored_files(overflow_dir) == [upload.key]
    assert overflow_payload_take(actor=owner, org=org, key=upload.key) == data


def test_a_payload_is_taken_only_once(org, owner):
    upload = uploaded(owner, org, payload())
    overflow_payload_take(actor=owner, org=org, key=upload.key)
    with pytest.raises(ValidationError, match=r"rows\.key .*already used"):
        overflow_payload_take(actor=owner, org=org, key=upload.key)


def test_a_payload_that_was_never_uploaded_or_has_expired_cannot_be_taken(org, owner):
    pending, _ = overflow_upload_create(actor=owner, org=org, size_bytes=10, content_type="application/json")
    with pytest.raises(ValidationError, match=r"rows\.key .*never uploaded"):
        overflow_payload_take(actor=owner, org=org, key=pending.key)
    expired = uploaded(owner, org, payload())
    OverflowUpload.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError, match=r"rows\.key .*expired"):
        overflow_payload_take(actor=owner, org=org, key=expired.key)
    assert OverflowUpload.objects.filter(consumed_at__isnull=False).count() == 0


def test_a_take_in_a_transaction_that_rolls_back_leaves_the_payload_takeable_and_stored(
    org, owner, overflow_dir, django_capture_on_commit_callbacks
):
    data = payload()
    upload = uploaded(owner, org, data)

    class RefusedWrite(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RefusedWrite), transaction.atomic():
        assert overflow_payload_take(actor=owner, org=org, key=upload.key) == data
        raise RefusedWrite  # the /logs3 write fails after taking the payload
    upload.refresh_from_db()
    assert upload.consumed_at is None
    assert stored_files(overflow_dir) == [upload.key]

    with django_capture_on_commit_callbacks(execute=True):
        assert overflow_payload_take(actor=owner, org=org, key=upload.key) == data  # the SDK's retry
    assert stored_files(overflow_dir) == []


# Purge


def test_purge_removes_expired_and_consumed_uploads_and_their_files_and_keeps_the_rest(
    org, owner, overflow_dir, django_capture_on_commit_callbacks
):
    consumed = uploaded(owner, org, payload(filler="c"))
    overflow_payload_take(actor=owner, org=org, key=consumed.key)  # on_commit never runs here: the file stays
    expired = uploaded(owner, org, payload(filler="e"))
    OverflowUpload.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    never_uploaded, _ = overflow_upload_create(actor=owner, org=org, size_bytes=10, content_type="application/json")
    OverflowUpload.objects.filter(pk=never_uploaded.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    waiting = uploaded(owner, org, payload(filler="w"))
    open_url, _ = overflow_upload_create(actor=owner, org=org, size_bytes=10, content_type="application/json")
    assert len(stored_files(overflow_dir)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        assert overflow_uploads_purge() == 3
    assert set(OverflowUpload.objects.values_list("pk", flat=True)) == {waiting.pk, open_url.pk}
    assert stored_files(overflow_dir) == [waiting.key]


def test_the_purge_command_runs_the_purge(org, owner, overflow_dir, django_capture_on_commit_callbacks):
    expired = uploaded(owner, org, payload())
    out = io.StringIO()
    call_command("purge_logs3_overflow", stdout=out)
    assert "Purged 0" in out.getvalue()
    OverflowUpload.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_logs3_overflow", stdout=out)
    assert "Purged 1 logs3 overflow upload." in out.getvalue()
    assert not OverflowUpload.objects.exists() and stored_files(overflow_dir) == []


# Asking for an upload


def test_asking_for_an_upload_without_a_credential_is_401():
    response = ask(ApiClient(), 100)
    assert response.status_code == 401
    assert not OverflowUpload.objects.exists()


def test_size_bytes_over_the_maximum_is_refused_naming_size_bytes(settings, org, owner):
    settings.LOGS3_OVERFLOW_MAX_BYTES = 1000
    response = ask(api_client_for(owner, org), 1001)
    assert response.status_code == 400
    assert "size_bytes" in response.json()["error"]["message"]
    assert not OverflowUpload.objects.exists()
    assert ask(api_client_for(owner, org), 1000).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"size_bytes": 0}, "size_bytes"),
        ({"size_bytes": "100"}, "size_bytes"),
        ({"size_bytes": True}, "size_bytes"),
        ({"content_type": "text/plain"}, "content_type"),
        ({"rows": [{"object_ids": "p"}]}, "object_ids"),
        ({"rows": []}, "rows"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_malformed_request_is_refused_naming_the_field(org, owner, overrides, field):
    response = ask(api_client_for(owner, org), overrides.pop("size_bytes", 100), **overrides)
    assert response.status_code == 400
    assert field in response.json()["error"]["message"]
    assert not OverflowUpload.objects.exists()


def test_the_raw_token_is_stored_nowhere_in_the_row(org, owner):
    upload, token = overflow_upload_create(actor=owner, org=org, size_bytes=100, content_type="application/json")
    assert len(token) >= 43  # 256 bits, URL-safe base64
    row = OverflowUpload.objects.filter(pk=upload.pk).values().get()
    assert row["token_hash"] != token and row["key"] != token
    assert not any(token in str(value) for value in row.values())
    assert upload.key not in token


def test_the_schema_documents_the_overflow_request():
    paths = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()["paths"]
    assert paths["/logs3/overflow"]["post"]["operationId"] == "postLogs3Overflow"
    assert not any(path.startswith("/logs3/overflow/upload") for path in paths)


# The SDK's own code, against a live server


@pytest.mark.django_db(transaction=True)
def test_the_braintrust_sdk_asks_for_an_upload_and_puts_its_payload(live_server, org, owner, overflow_dir):
    _, raw = api_key_create(actor=owner, org=org, name="sdk")
    conn = HTTPConnection(live_server.url)
    conn.set_token(raw)
    data = payload(rows=20)
    upload = _HTTPBackgroundLogger._request_logs3_overflow_upload(None, conn, len(data), overflow_rows(20))
    assert upload["signed_url"].startswith(f"{live_server.url}/logs3/overflow/upload/")
    _HTTPBackgroundLogger._upload_logs3_overflow_payload(None, upload, data)
    assert (overflow_dir / upload["key"]).read_bytes() == data
    assert overflow_payload_take(actor=owner, org=org, key=upload["key"]) == data


# Two PUTs at once (PostgreSQL: real row locks)


class _GatedStream(io.BytesIO):
    """A body whose first read waits until every racing PUT has passed the token check."""

    def __init__(self, data: bytes, barrier: threading.Barrier) -> None:
        super().__init__(data)
        self.barrier = barrier
        self.waited = False

    def read(self, size=-1):
        if not self.waited:
            self.waited = True
            self.barrier.wait()
        return super().read(size)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_puts_to_one_url_cannot_both_succeed(org, owner, overflow_dir):
    bodies = [payload(filler="a"), payload(filler="b")]
    upload, token = overflow_upload_create(actor=owner, org=org, size_bytes=len(bodies[0]), content_type="application/json")
    barrier = threading.Barrier(2, timeout=20)

    def put_body(data):
        return lambda: overflow_upload_store(
            raw_token=token, stream=_GatedStream(data, barrier), content_length=len(data), content_type="application/json"
        )

    outcomes = run_racing([put_body(data) for data in bodies])
    statuses = sorted(status for status, _ in outcomes)
    assert statuses == ["error", "ok"], outcomes
    [error] = [value for status, value in outcomes if status == "error"]
    assert isinstance(error, NotFound)
    winner = bodies[[status for status, _ in outcomes].index("ok")]
    assert (overflow_dir / upload.key).read_bytes() == winner
    assert stored_files(overflow_dir) == [upload.key]


def test_the_storage_is_the_test_folder(overflow_dir):
    storage = storages["logs3_overflow"]
    assert isinstance(storage, FileSystemStorage) and Path(storage.location) == overflow_dir
