"""accounts.services.credentials and accounts.tokens: docs/access-model.md, "Principals" and "Tokens"."""

import hashlib
import logging
import string
import zlib
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiKey, Membership, User
from accounts.services.credentials import (
    api_key_create,
    api_key_delete,
    authenticate_token,
    service_account_create,
    service_account_delete,
    service_account_rename,
    service_token_create,
    service_token_revoke,
)
from accounts.services.members import member_remove
from accounts.tokens import API_KEY_PREFIX, SERVICE_TOKEN_PREFIX, generate_token, hash_token, looks_valid, preview_of
from permissions.engine import can
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.models import AuditEvent
from permissions.services.grants import acl_revoke
from tests.access_helpers import (
    ACL_PERMISSIONS,
    custom_group,
    grant,
    grant_many,
    nest,
    row_counts,
)
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db

BASE62_DIGITS = string.digits + string.ascii_uppercase + string.ascii_lowercase
BASE62 = set(BASE62_DIGITS)


def _robot(org, **kwargs):
    return service_account_create(actor=owner_of(org), org=org, name=kwargs.pop("name", "robot"), **kwargs)


def _token(org, robot=None, **kwargs):
    robot = robot or _robot(org)
    return service_token_create(actor=owner_of(org), org=org, account_id=robot.pk, name="token", **kwargs)


# Service accounts: Owners only


def test_owner_creates_a_service_account_in_the_organization_and_its_groups():
    org = OrganizationFactory()
    team = custom_group(org)
    robot = _robot(org, name="Log shipper", group_ids=[team.pk, builtin_group(org, "engineers").pk])
    assert robot.is_service_account and robot.service_account_org == org
    assert robot.get_full_name() == "Log shipper"
    assert Membership.objects.filter(org=org, user=robot).exists()
    assert set(robot.groups.values_list("permission_group__name", flat=True)) == {team.name, "Engineers"}
    assert not robot.has_usable_password()


def _not_owner_principals(org):
    """Members who are not in Owners, including ones holding every permission on the organization."""
    engineer = add_member(org, None, "engineers")
    manager = add_member(org)
    grant_many(org, org, ACL_PERMISSIONS, user=manager)
    almighty = add_member(org)
    grant(org, org, user=almighty, role="owner")
    return {"engineer": engineer, "manage access": manager, "owner role on organization": almighty, "outsider": UserFactory()}


@pytest.mark.parametrize("who", ["engineer", "manage access", "owner role on organization", "outsider"])
def test_only_owners_create_edit_and_delete_service_accounts_and_tokens(who):
    org = OrganizationFactory()
    actor = _not_owner_principals(org)[who]
    robot = _robot(org, name="target")
    key, _ = _token(org, robot)
    expected = NotFound if who == "outsider" else AccessDenied
    before = row_counts()
    with pytest.raises(expected):
        service_account_create(actor=actor, org=org, name="mine")
    with pytest.raises(expected):
        service_account_rename(actor=actor, org=org, account_id=robot.pk, name="mine")
    with pytest.raises(expected):
        service_account_delete(actor=actor, org=org, account_id=robot.pk)
    with pytest.raises(expected):
        service_token_create(actor=actor, org=org, account_id=robot.pk, name="mine")
    with pytest.raises(expected):
        service_token_revoke(actor=actor, org=org, token_id=key.pk)
    assert row_counts() == before


def test_member_of_owners_through_a_member_group_manages_service_accounts():
    org = OrganizationFactory()
    admins = custom_group(org, name="Admins")
    nest(builtin_group(org, "owners"), admins)
    admin = add_member(org, None, admins)
    robot = service_account_create(actor=admin, org=org, name="robot")
    service_account_rename(actor=admin, org=org, account_id=robot.pk, name="renamed")
    key, _ = service_token_create(actor=admin, org=org, account_id=robot.pk, name="t")
    service_token_revoke(actor=admin, org=org, token_id=key.pk)
    service_account_delete(actor=admin, org=org, account_id=robot.pk)
    assert not User.objects.filter(kind="service_account", service_account_org=org).exists()


def test_service_account_is_renamed_and_deleted_with_its_tokens():
    org = OrganizationFactory()
    robot = _robot(org)
    key, raw = _token(org, robot)
    service_account_rename(actor=owner_of(org), org=org, account_id=robot.pk, name="renamed")
    robot.refresh_from_db()
    assert robot.given_name == "renamed"
    robot_id = robot.pk
    service_account_delete(actor=owner_of(org), org=org, account_id=robot_id)
    assert not User.objects.filter(pk=robot_id).exists()
    assert not ApiKey.objects.filter(pk=key.pk).exists()
    assert authenticate_token(raw) is None


def test_service_account_of_another_organization_is_not_found():
    org, other = OrganizationFactory(), OrganizationFactory()
    robot = _robot(other)
    with pytest.raises(NotFound):
        service_account_rename(actor=owner_of(org), org=org, account_id=robot.pk, name="mine")
    with pytest.raises(NotFound):
        service_token_create(actor=owner_of(org), org=org, account_id=robot.pk, name="mine")
    with pytest.raises(NotFound):
        service_account_create(actor=owner_of(org), org=other, name="mine")


def test_service_account_with_a_group_of_another_organization_is_refused_and_writes_nothing():
    org, other = OrganizationFactory(), OrganizationFactory()
    before = row_counts()
    with pytest.raises(ValidationError):
        service_account_create(actor=owner_of(org), org=org, name="robot", group_ids=[builtin_group(other, "owners").pk])
    with pytest.raises(ValidationError):
        service_account_create(actor=owner_of(org), org=org, name="   ")
    assert row_counts() == before


def test_service_account_receives_grants_like_a_user():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    robot = _robot(org, group_ids=[builtin_group(org, "viewers").pk])
    grant(org, project, user=robot, permission="update")
    assert can(robot, "read", project) and can(robot, "update", project)


def test_service_account_cannot_log_in_with_a_password():
    org = OrganizationFactory()
    robot = _robot(org)
    robot.set_password("a password")
    robot.save(update_fields=["password"])
    person = UserFactory(email="person@example.com")
    person.set_password("a password")
    person.save(update_fields=["password"])
    assert authenticate(None, username=robot.email, password="a password") is None
    assert authenticate(None, username="person@example.com", password="a password") == person


# Token format


@pytest.mark.parametrize("prefix", [API_KEY_PREFIX, SERVICE_TOKEN_PREFIX])
def test_generated_token_has_its_prefix_256_random_bits_in_base62_a_crc32_checksum_and_only_a_hash(prefix):
    token = generate_token(prefix)
    body = token.raw[len(prefix) :]
    assert token.raw.startswith(prefix)
    assert set(body) <= BASE62
    assert 62 ** (len(body) - 6) >= 2**256  # the body before the six-character CRC32 checksum
    assert looks_valid(token.raw)
    checksum = zlib.crc32((prefix + body[:-6]).encode())
    assert body[-6:] == "".join(BASE62_DIGITS[checksum // 62**i % 62] for i in reversed(range(6)))
    assert token.hash == hashlib.sha256(token.raw.encode()).hexdigest() == hash_token(token.raw)
    assert token.preview.startswith(prefix) and token.preview.endswith(token.raw[-4:])
    assert token.preview == preview_of(token.raw)
    assert generate_token(prefix).raw != token.raw


def test_checksum_tells_a_real_token_from_noise():
    raw = generate_token(API_KEY_PREFIX).raw
    for position in range(len(API_KEY_PREFIX), len(raw)):
        changed = "1" if raw[position] != "1" else "2"
        assert not looks_valid(raw[:position] + changed + raw[position + 1 :]), position


@pytest.mark.parametrize(
    "raw",
    ["", "sk-", "sk-short", "xx-" + "a" * 49, "bt-st" + "a" * 49, "sk-" + "!" * 49],
)
def test_malformed_tokens_do_not_look_valid(raw):
    assert not looks_valid(raw)


def test_a_token_with_the_other_prefix_fails_its_checksum():
    raw = generate_token(API_KEY_PREFIX).raw
    assert not looks_valid(SERVICE_TOKEN_PREFIX + raw[len(API_KEY_PREFIX) :])


# Issued tokens


def _assert_raw_not_stored(raw: str, key: ApiKey):
    body = raw.split("-")[-1]
    row = ApiKey.objects.filter(pk=key.pk).values().get()
    for field, value in row.items():
        assert raw not in str(value) and body[:16] not in str(value), field
    for event in AuditEvent.objects.values("before", "after", "target_name", "origin"):
        assert raw not in str(event) and body[:16] not in str(event)
    assert row["key_hash"] == hashlib.sha256(raw.encode()).hexdigest()


def test_service_token_is_returned_once_and_only_its_hash_is_stored(caplog):
    org = OrganizationFactory()
    robot = _robot(org)
    with caplog.at_level(logging.DEBUG):
        key, raw = _token(org, robot)
        authenticate_token(raw)
    assert raw not in caplog.text
    assert raw.startswith("bt-st-") and looks_valid(raw)
    assert (key.kind, key.user, key.org, key.created_by) == ("service_token", robot, org, owner_of(org))
    assert key.preview_name.startswith("bt-st-") and key.preview_name.endswith(raw[-4:])
    assert len(key.preview_name) < len(raw) - 16
    assert not hasattr(key, "raw")
    _assert_raw_not_stored(raw, key)


def test_api_key_is_returned_once_and_only_its_hash_is_stored():
    org = OrganizationFactory()
    person = add_member(org, None, "engineers")
    key, raw = api_key_create(actor=person, org=org, name="laptop")
    assert raw.startswith("sk-") and looks_valid(raw)
    assert (key.kind, key.user, key.org) == ("api_key", person, org)
    assert key.preview_name.startswith("sk-") and key.preview_name.endswith(raw[-4:])
    _assert_raw_not_stored(raw, key)


def test_api_key_cannot_be_created_by_a_request_authenticated_with_an_api_key():
    org = OrganizationFactory()
    person = add_member(org)
    before = row_counts()
    with pytest.raises(AccessDenied, match="API keys cannot create API keys"):
        api_key_create(actor=person, org=org, name="k", via_api_key=True)
    assert row_counts() == before


def test_api_key_needs_a_person_who_is_a_member():
    org = OrganizationFactory()
    robot = _robot(org)
    before = row_counts()
    with pytest.raises(AccessDenied):
        api_key_create(actor=robot, org=org, name="k")
    with pytest.raises(NotFound):
        api_key_create(actor=UserFactory(), org=org, name="k")
    before.pop("accounts.User")
    after = row_counts()
    after.pop("accounts.User")
    assert after == before


def test_expiry_in_the_past_is_refused():
    org = OrganizationFactory()
    before = row_counts()
    with pytest.raises(ValidationError):
        api_key_create(actor=owner_of(org), org=org, name="k", expires_at=timezone.now() - timedelta(minutes=1))
    assert row_counts() == before


def test_api_key_is_deleted_only_by_its_owner():
    org = OrganizationFactory()
    person = add_member(org)
    key, raw = api_key_create(actor=person, org=org, name="k")
    with pytest.raises(NotFound):
        api_key_delete(actor=owner_of(org), key_id=key.pk)
    api_key_delete(actor=person, key_id=key.pk)
    assert authenticate_token(raw) is None


# Authenticating


def test_valid_token_authenticates_as_its_principal_and_records_its_use():
    org = OrganizationFactory()
    key, raw = _token(org)
    assert key.last_used_at is None
    found = authenticate_token(raw)
    assert found == key and found.user == key.user and found.org == org
    key.refresh_from_db()
    assert key.last_used_at is not None and abs(key.last_used_at - timezone.now()) < timedelta(minutes=1)


def _updates(queries) -> list[str]:
    """The UPDATE statements among `queries` (the engine's prepared statements are logged without their text)."""
    return [query["sql"] for query in queries.captured_queries if (query["sql"] or "").lstrip().upper().startswith("UPDATE")]


def test_last_use_is_written_at_most_once_a_minute_per_key():
    org = OrganizationFactory()
    key, raw = _token(org)
    with CaptureQueriesContext(connection) as first:
        assert authenticate_token(raw) == key
    key.refresh_from_db()
    first_use = key.last_used_at
    assert first_use is not None and len(_updates(first)) == 1

    with CaptureQueriesContext(connection) as within_the_minute:
        assert authenticate_token(raw).last_used_at == first_use
    assert _updates(within_the_minute) == []
    key.refresh_from_db()
    assert key.last_used_at == first_use

    a_minute_ago = timezone.now() - timedelta(minutes=1, seconds=1)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=a_minute_ago)
    with CaptureQueriesContext(connection) as after_a_minute:
        assert authenticate_token(raw) == key
    assert len(_updates(after_a_minute)) == 1
    key.refresh_from_db()
    assert key.last_used_at > a_minute_ago and abs(key.last_used_at - timezone.now()) < timedelta(minutes=1)


def test_token_acts_with_exactly_the_current_permissions_of_its_principal():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    robot = _robot(org)
    _, raw = _token(org, robot)
    record = grant(org, project, user=robot, permission="update")
    principal = authenticate_token(raw).user
    assert can(principal, "update", project) and not can(principal, "read", project)
    acl_revoke(actor=owner_of(org), grant_id=record.id)
    assert not can(authenticate_token(raw).user, "update", project)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "sk-",
        "sk-abc",
        "Bearer sk-abc",
        "bt-st-" + "A" * 49,
        "sk-" + "0" * 43 + "zzzzzz",
        "pk-" + "0" * 49,
    ],
)
def test_malformed_token_is_refused_without_a_query(raw):
    with CaptureQueriesContext(connection) as queries:
        assert authenticate_token(raw) is None
    assert len(queries) == 0


def test_token_with_a_broken_checksum_is_refused_without_a_query():
    org = OrganizationFactory()
    _, raw = _token(org)
    broken = raw[:-1] + ("a" if raw[-1] != "a" else "b")
    with CaptureQueriesContext(connection) as queries:
        assert authenticate_token(broken) is None
    assert len(queries) == 0


def test_well_formed_unknown_token_is_refused():
    OrganizationFactory()
    assert authenticate_token(generate_token(SERVICE_TOKEN_PREFIX).raw) is None
    assert authenticate_token(generate_token(API_KEY_PREFIX).raw) is None


def test_revoked_tokens_are_refused():
    org = OrganizationFactory()
    service_key, service_raw = _token(org)
    api_key, api_raw = api_key_create(actor=owner_of(org), org=org, name="k")
    service_token_revoke(actor=owner_of(org), org=org, token_id=service_key.pk)
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=timezone.now())
    assert authenticate_token(service_raw) is None
    assert authenticate_token(api_raw) is None


def test_expired_token_is_refused_and_an_unexpired_one_accepted():
    org = OrganizationFactory()
    key, raw = _token(org, expires_at=timezone.now() + timedelta(hours=1))
    assert authenticate_token(raw) == key
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert authenticate_token(raw) is None


def test_token_of_a_removed_member_is_refused():
    org = OrganizationFactory()
    person = add_member(org, None, "engineers")
    key, raw = api_key_create(actor=person, org=org, name="k")
    member_remove(actor=owner_of(org), org=org, user=person)
    assert authenticate_token(raw) is None
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=None)  # even if the key itself were left usable
    assert authenticate_token(raw) is None


def test_token_of_an_inactive_principal_is_refused():
    org = OrganizationFactory()
    robot = _robot(org)
    key, raw = _token(org, robot)
    User.objects.filter(pk=robot.pk).update(is_active=False)
    assert authenticate_token(raw) is None
    key.refresh_from_db()
    assert key.last_used_at is None


def test_refused_token_does_not_record_a_use():
    org = OrganizationFactory()
    key, raw = _token(org)
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    authenticate_token(raw)
    key.refresh_from_db()
    assert key.last_used_at is None


def test_a_service_account_belongs_to_exactly_one_organization_and_a_person_to_none():
    org = OrganizationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="orphan@service-accounts.invalid", kind=User.Kind.SERVICE_ACCOUNT)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="person@example.com", kind=User.Kind.PERSON, service_account_org=org)
