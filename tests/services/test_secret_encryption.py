"""Secret values at rest: encrypted with the first configured key, readable with any, moved to a new first key
by ``manage.py rotate_secrets`` (safe to run again), and an undecryptable value reported without itself."""

import base64
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.test import override_settings

from secrets_store import crypto
from secrets_store.models import AISecret, EnvVar
from tests.factories_secrets import AISecretFactory, EnvVarFactory

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
RAW = "sk-rotate-me-VeryPrivate-000111"


def _only(key: str) -> Fernet:
    return Fernet(key.encode())


def test_a_value_round_trips_and_is_stored_as_a_token_of_the_first_key():
    with override_settings(SECRETS_ENCRYPTION_KEYS=[NEW, OLD]):
        token = crypto.encrypt(RAW)
        assert RAW not in token and RAW not in base64.urlsafe_b64decode(token).decode("latin-1")
        assert crypto.decrypt(token) == RAW
        assert _only(NEW).decrypt(token.encode()).decode() == RAW


def test_every_configured_key_decrypts():
    token = _only(OLD).encrypt(RAW.encode()).decode()
    with override_settings(SECRETS_ENCRYPTION_KEYS=[NEW, OLD]):
        assert crypto.decrypt(token) == RAW


def test_rotating_moves_every_value_to_the_first_key_and_can_run_again():
    with override_settings(SECRETS_ENCRYPTION_KEYS=[OLD]):
        secret = AISecretFactory(value=RAW)
        variable = EnvVarFactory(value=RAW)
        empty = EnvVarFactory(value=None)
    with override_settings(SECRETS_ENCRYPTION_KEYS=[NEW, OLD]):
        output = StringIO()
        call_command("rotate_secrets", stdout=output)
        assert "Re-encrypted 1 AI secrets." in output.getvalue() and "Re-encrypted 1 environment variables." in output.getvalue()
        call_command("rotate_secrets", stdout=StringIO())  # again: harmless
        assert RAW not in output.getvalue()
    with override_settings(SECRETS_ENCRYPTION_KEYS=[NEW]):  # the old key can go
        assert crypto.decrypt(AISecret.objects.get(pk=secret.pk).encrypted_value) == RAW
        assert crypto.decrypt(EnvVar.objects.get(pk=variable.pk).encrypted_value) == RAW
    assert EnvVar.objects.get(pk=empty.pk).encrypted_value == ""


def test_a_value_no_key_decrypts_stops_the_rotation_without_showing_it():
    with override_settings(SECRETS_ENCRYPTION_KEYS=[OLD]):
        AISecretFactory(value=RAW)
    with override_settings(SECRETS_ENCRYPTION_KEYS=[NEW]), pytest.raises(CommandError) as refused:
        call_command("rotate_secrets", stdout=StringIO())
    assert "cannot be decrypted" in str(refused.value)
    assert RAW not in str(refused.value)


@pytest.mark.parametrize(("value", "preview"), [("sk-abcdefghijkl-9876", "********9876"), ("short-key", "********"), ("", "********")])
def test_a_preview_shows_at_most_the_last_four_characters_of_a_long_value(value, preview):
    assert crypto.preview(value) == preview
