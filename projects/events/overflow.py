"""``/logs3`` overflow uploads: a batch too big for one request, uploaded to a signed URL and then taken by key.

Braintrust's SDK sends a batch larger than ``logs3_payload_max_bytes`` in three steps:

1. ``POST /logs3/overflow`` (authenticated) declares the payload's size; :func:`overflow_upload_create`
   answers an upload row and a random token, which the view puts in the signed URL it returns with the
   upload's ``key``;
2. the SDK PUTs the raw payload to that URL, with no credential: :func:`overflow_upload_store` checks
   the token, streams the body into the ``logs3_overflow`` storage and marks the upload as uploaded. A
   URL works once; an unknown, used or expired token is refused with :class:`NotFound` (the view's 404),
   the same answer in all three cases, so that a URL tells nothing about uploads; a body larger than
   declared (or than ``LOGS3_OVERFLOW_MAX_BYTES``) is refused with :class:`PayloadTooLarge` (413) and
   nothing is stored;
3. ``POST /logs3`` names the key; its view calls :func:`overflow_payload_take` inside the transaction
   that writes the rows, and parses the bytes as a normal ``/logs3`` body. Only the principal that asked
   for the upload, in its organization, may take it, once. The upload is marked consumed in the caller's
   transaction, so a write that is refused (rolled back) leaves it takeable for the SDK's retry with the
   same key; the stored file is deleted only once that transaction commits.

:func:`overflow_uploads_purge` (``manage.py purge_logs3_overflow``) deletes expired and consumed uploads
and their files.

Only the SHA-256 of a token is stored. The key is another random value: knowing it (as the ``/logs3``
request does) does not let anyone upload, and the token does not name the stored file.
"""

import logging
import secrets
import tempfile
from datetime import datetime, timedelta
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization, User
from accounts.tokens import hash_token
from permissions.exceptions import NotFound, ValidationError
from projects.models import OverflowUpload

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "logs3_overflow"
CONTENT_TYPE = "application/json"

_TOKEN_BYTES = 32  # 256 bits
_KEY_BYTES = 32
_CHUNK_BYTES = 64 * 1024
_SPOOL_BYTES = 1024 * 1024  # bodies up to this size are buffered in memory, larger ones in a temporary file
_PURGE_BATCH = 500


class PayloadTooLarge(ValidationError):
    """The uploaded body is larger than the size declared for it, or than ``LOGS3_OVERFLOW_MAX_BYTES``."""


def overflow_storage() -> Storage:
    """The storage that keeps uploaded payloads until ``/logs3`` takes them."""
    return storages[STORAGE_ALIAS]


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


# Step 1: POST /logs3/overflow


def overflow_upload_create(*, actor: User, org: Organization, size_bytes: int, content_type: str) -> tuple[OverflowUpload, str]:
    """A new upload slot for a payload of `size_bytes` bytes, and the raw token of its signed URL.

    The token (256 random bits) is returned here only; the row keeps its SHA-256. The URL and the key
    stay usable for ``LOGS3_OVERFLOW_URL_TTL_SECONDS``.
    """
    maximum = settings.LOGS3_OVERFLOW_MAX_BYTES
    if not isinstance(size_bytes, int) or isinstance(size_bytes, bool) or not 0 < size_bytes <= maximum:
        raise ValidationError(f"size_bytes must be a positive integer of at most {maximum} bytes.")
    if not isinstance(content_type, str) or _media_type(content_type) != CONTENT_TYPE:
        raise ValidationError(f"content_type must be {CONTENT_TYPE!r}.")
    raw_token = secrets.token_urlsafe(_TOKEN_BYTES)
    upload = OverflowUpload.objects.create(
        org=org,
        created_by=actor,
        token_hash=hash_token(raw_token),
        key=secrets.token_hex(_KEY_BYTES),
        content_type=CONTENT_TYPE,
        size_bytes=size_bytes,
        expires_at=timezone.now() + timedelta(seconds=settings.LOGS3_OVERFLOW_URL_TTL_SECONDS),
    )
    return upload, raw_token


# Step 2: PUT to the signed URL


def _is_open(upload: OverflowUpload | None, now: datetime) -> bool:
    return upload is not None and upload.uploaded_at is None and upload.expires_at > now


def _unavailable() -> NotFound:
    # One answer for an unknown, a used and an expired token: the URL tells nothing about uploads.
    return NotFound("upload")


def _read_body(stream: BinaryIO, limit: int, declared: int) -> tempfile.SpooledTemporaryFile:
    """The body, read in chunks into a temporary file; refused as soon as it passes `limit` bytes."""
    buffer = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (returned open, closed by the caller)
    total = 0
    try:
        while True:
            chunk = stream.read(min(_CHUNK_BYTES, limit + 1 - total))
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise PayloadTooLarge(f"The body is larger than the {limit} bytes allowed for this upload.")
            buffer.write(chunk)
        if total != declared:
            raise ValidationError(f"The body is {total} bytes; this upload was declared as {declared} bytes.")
    except BaseException:
        buffer.close()
        raise
    buffer.seek(0)
    return buffer


def overflow_upload_store(*, raw_token: str, stream: BinaryIO, content_length: int | None, content_type: str | None) -> None:
    """Store the body of the PUT to the signed URL with `raw_token` as the upload's payload.

    Refused with :class:`NotFound` when the token is unknown, already used or expired (the same error for
    all three); with :class:`PayloadTooLarge` when the body (or its announced `content_length`) is larger
    than declared or than ``LOGS3_OVERFLOW_MAX_BYTES``; with :class:`ValidationError` when it is smaller
    than declared or of another content type. A refused body stores nothing and leaves the URL usable.

    The body is read in chunks into a temporary file first; then, under a lock on the upload's row, the
    upload is checked again, the file is written to storage under the upload's key and ``uploaded_at`` is
    set, so that of two PUTs to one URL only one succeeds.
    """
    token_hash = hash_token(raw_token) if isinstance(raw_token, str) else ""
    upload = OverflowUpload.objects.filter(token_hash=token_hash).first() if token_hash else None
    if not _is_open(upload, timezone.now()):
        raise _unavailable()
    if content_type and _media_type(content_type) != _media_type(upload.content_type):
        raise ValidationError(f"The body's content type must be {upload.content_type!r}, as declared.")
    limit = min(upload.size_bytes, settings.LOGS3_OVERFLOW_MAX_BYTES)
    if content_length is not None and content_length > limit:
        raise PayloadTooLarge(f"The body is larger than the {limit} bytes allowed for this upload.")

    with _read_body(stream, limit, upload.size_bytes) as body, transaction.atomic():
        now = timezone.now()
        upload = OverflowUpload.objects.select_for_update().filter(pk=upload.pk).first()
        if not _is_open(upload, now):
            raise _unavailable()
        # Claim the upload before writing the file: on a database without row locks, the conditional
        # update is what lets only one of two concurrent PUTs through.
        if not OverflowUpload.objects.filter(pk=upload.pk, uploaded_at__isnull=True).update(uploaded_at=now):
            raise _unavailable()
        storage = overflow_storage()
        if storage.exists(upload.key):
            storage.delete(upload.key)  # left by an attempt whose transaction did not commit
        saved = storage.save(upload.key, File(body, name=upload.key))
        if saved != upload.key:
            storage.delete(saved)
            raise RuntimeError(f"The overflow storage saved the payload as {saved!r} instead of its key.")


# Step 3: POST /logs3 names the key


def _refused(message: str) -> ValidationError:
    return ValidationError(f"rows.key {message}")


def _open_payload(actor: User, org: Organization, key: str, *, lock: bool) -> tuple[OverflowUpload, bytes]:
    """The upload `key` names and its stored payload, once the checks of :func:`overflow_payload_take` pass."""
    if not isinstance(key, str) or not key:
        raise _refused("must name an overflow upload.")
    uploads = OverflowUpload.objects.select_for_update() if lock else OverflowUpload.objects.all()
    upload = uploads.filter(key=key, org=org, created_by=actor).first()
    if upload is None:
        raise _refused("does not name an overflow upload of yours in this organization.")
    if upload.consumed_at is not None:
        raise _refused("names an overflow upload that was already used.")
    if upload.expires_at <= timezone.now():
        raise _refused("names an overflow upload that has expired.")
    if upload.uploaded_at is None:
        raise _refused("names an overflow upload whose payload was never uploaded.")
    try:
        with overflow_storage().open(upload.key, "rb") as stored:
            return upload, stored.read()
    except FileNotFoundError:
        raise _refused("names an overflow upload whose payload is no longer stored.") from None


def overflow_payload_read(*, actor: User, org: Organization, key: str) -> bytes:
    """The payload uploaded under `key`, checked as :func:`overflow_payload_take` checks it, without taking it:
    what ``/logs3`` reads to learn which objects the rows name before it decides access."""
    return _open_payload(actor, org, key, lock=False)[1]


def overflow_payload_take(*, actor: User, org: Organization, key: str) -> bytes:
    """The payload uploaded under `key`, which `actor` asked for in `org`, marked as consumed.

    Refused with a :class:`ValidationError` naming ``rows.key`` unless the upload exists, was asked for by
    `actor` in `org` (anyone else's is answered as unknown), was uploaded, has not been taken and has not
    expired.

    Call it inside the transaction that writes the rows: ``consumed_at`` is set in that transaction, so a
    write that is rolled back leaves the upload takeable again (the SDK retries with the same key); the
    stored file is deleted only once the outermost transaction commits.
    """
    with transaction.atomic():
        upload, payload = _open_payload(actor, org, key, lock=True)
        upload.consumed_at = timezone.now()
        upload.save(update_fields=["consumed_at"])
        stored_key = upload.key
        transaction.on_commit(lambda: _delete_payload(stored_key))
    return payload


def _delete_payload(key: str) -> None:
    """Delete a stored payload; a failure is only logged (after a take, the purge deletes the file again)."""
    try:
        overflow_storage().delete(key)
    except Exception:
        logger.exception("Could not delete the logs3 overflow payload %s; the purge will retry.", key)


def _delete_payloads(keys: list[str]) -> None:
    for key in keys:
        _delete_payload(key)


# Housekeeping


def overflow_uploads_purge(*, now: datetime | None = None) -> int:
    """Delete the uploads that have expired or were consumed, and their stored files; answer how many.

    Rows are deleted in batches, each locked first (rows a PUT or a take holds are skipped, the next purge
    gets them); a batch's files are deleted once its rows' deletion commits. Deleting a file that is not
    there (never uploaded, or already deleted after a take) is not an error.
    """
    now = now or timezone.now()
    done = Q(expires_at__lte=now) | Q(consumed_at__isnull=False)
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(
                OverflowUpload.objects.select_for_update(skip_locked=True)
                .filter(done)
                .order_by("expires_at")
                .values_list("pk", "key")[:_PURGE_BATCH]
            )
            if not batch:
                return purged
            OverflowUpload.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
            keys = [key for _, key in batch]
            transaction.on_commit(lambda keys=keys: _delete_payloads(keys))
        purged += len(batch)
