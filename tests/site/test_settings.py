"""The settings module refuses unsafe production configurations and reads the environment."""

import os
import subprocess
import sys

import pytest

from tests.process_helpers import PROJECT

ENCRYPTION_KEY = "k5w0cTKE6oB3YyYb7lWQ9JQY0m2iH5Cq1x2N3m4b5c8="  # a Fernet key: 32 bytes in URL-safe base64
UNSET = {"DEBUG", "SECRET_KEY", "SECRETS_ENCRYPTION_KEYS", "DATABASE_URL", "ALLOWED_HOSTS"}

pytestmark = [pytest.mark.long_running, pytest.mark.once_per_run]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in UNSET}
    environment.update(env, DJANGO_SETTINGS_MODULE="braintrust_site.settings")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.ALLOWED_HOSTS)"
    )
    command = [sys.executable, "-c", code]
    return subprocess.run(command, cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=60)  # noqa: S603


def test_production_mode_refuses_to_start_without_secret_key():
    result = load_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_mode_refuses_a_short_secret_key():
    result = load_settings(DEBUG="false", SECRET_KEY="too-short")
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_production_mode_starts_with_a_real_secret_key():
    result = load_settings(DEBUG="false", SECRET_KEY="x" * 64, SECRETS_ENCRYPTION_KEYS=ENCRYPTION_KEY, ALLOWED_HOSTS="example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
    assert "['example.com']" in result.stdout


def test_production_mode_refuses_to_start_without_a_secrets_encryption_key():
    result = load_settings(DEBUG="false", SECRET_KEY="x" * 64, ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "SECRETS_ENCRYPTION_KEYS must be set" in result.stderr


def test_a_malformed_secrets_encryption_key_is_refused_without_being_repeated():
    result = load_settings(SECRETS_ENCRYPTION_KEYS=f"{ENCRYPTION_KEY},not-a-real-key-but-private")
    assert result.returncode != 0
    assert "key 2 is not a Fernet key" in result.stderr
    assert "not-a-real-key-but-private" not in result.stderr


def test_local_defaults_use_sqlite_in_the_project_folder_and_loopback_hosts():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout
    assert "127.0.0.1" in result.stdout


def test_database_url_selects_postgresql():
    result = load_settings(DATABASE_URL="postgres://postgres@127.0.0.1:5432/test")
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_malformed_boolean_is_refused_with_the_variable_name(value):
    result = load_settings(DEBUG=value)
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def run_deploy_check(**env: str) -> subprocess.CompletedProcess:
    # Without what the test run itself sets (the browser tests allow Django's sync calls from async code).
    unset = {*UNSET, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update({"SECRETS_ENCRYPTION_KEYS": ENCRYPTION_KEY, **env})
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(command, cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=120)  # noqa: S603


def test_the_production_defaults_pass_djangos_deployment_checks_without_a_warning():
    result = run_deploy_check(DEBUG="false", SECRET_KEY="k" * 30 + "Zq8#vL2!pX5@nR7$wT1%" + "m" * 20, ALLOWED_HOSTS="example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_turning_hsts_off_in_production_is_warned_about():
    secret = "k" * 30 + "Zq8#vL2!pX5@nR7$wT1%" + "m" * 20
    result = run_deploy_check(DEBUG="false", SECRET_KEY=secret, ALLOWED_HOSTS="example.com", SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr
