"""Password sign-in is throttled per account and per client address, with one message for every email."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
THROTTLED = "Too many failed sign-in attempts"


@pytest.fixture
def person():
    user = UserFactory(email="ada@example.com")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def sign_in(email: str, password: str, address: str = "198.51.100.1"):
    return Client(REMOTE_ADDR=address).post("/login/", {"username": email, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def test_the_right_password_signs_in(person):
    assert signed_in(sign_in("ada@example.com", PASSWORD))


def test_after_too_many_wrong_passwords_the_account_is_refused_even_the_right_one_from_anywhere(person, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT = 3
    for n in range(3):
        response = sign_in("ada@example.com", "wrong", address=f"203.0.113.{n}")
        assert response.status_code == 200 and THROTTLED not in response.content.decode()
    refused = sign_in("ADA@example.com", PASSWORD, address="198.51.100.77")
    assert not signed_in(refused)
    assert THROTTLED in refused.content.decode()


def test_an_unknown_email_is_throttled_with_the_same_message(person, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT = 2
    answers = {}
    for email in ("ada@example.com", "nobody@example.com"):
        for _ in range(2):
            sign_in(email, "wrong")
        answers[email] = sign_in(email, "wrong").context["form"].non_field_errors()
    assert answers["ada@example.com"] == answers["nobody@example.com"]
    assert THROTTLED in answers["nobody@example.com"][0]


def test_one_address_guessing_many_accounts_is_throttled_without_locking_out_other_addresses(person, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 4
    for n in range(4):
        sign_in(f"guess{n}@example.com", "wrong", address="203.0.113.9")
    assert THROTTLED in sign_in("ada@example.com", PASSWORD, address="203.0.113.9").content.decode()
    assert signed_in(sign_in("ada@example.com", PASSWORD, address="198.51.100.2"))


def test_a_successful_sign_in_clears_the_accounts_failures(person, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT = 3
    for _ in range(2):
        sign_in("ada@example.com", "wrong")
    assert signed_in(sign_in("ada@example.com", PASSWORD))
    for _ in range(2):
        sign_in("ada@example.com", "wrong")
    assert signed_in(sign_in("ada@example.com", PASSWORD))
