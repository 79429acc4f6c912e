"""seed_demo on a first start and after: the login address it prints is where `make run` serves, and
--reset-passwords gives the demo people (and nobody else) new passwords, printed once."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from projects.management.commands.seed_demo import DEMO_ORG, PEOPLE, Command
from tests.factories import OrganizationFactory, UserFactory, add_member

pytestmark = [pytest.mark.long_running, pytest.mark.django_db]


def run(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def printed_passwords(out: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(\S+@\S+)\s+password: (\S+)$", out, flags=re.MULTILINE))


def test_seed_demo_prints_the_login_address_of_the_host_and_port_it_is_given():
    out = run(host="127.0.0.1", port=8101)
    assert "http://127.0.0.1:8101/login/" in out.splitlines()[-1]
    assert ":8000" not in out


def test_seed_demo_on_a_later_start_still_says_where_to_log_in_and_how_to_get_new_passwords():
    run()
    out = run(host="localhost", port=8101)
    assert "already exists" in out
    assert "http://localhost:8101/login/" in out
    assert "seed_demo --help" in out
    assert not printed_passwords(out)


@pytest.mark.parametrize(("host", "url"), [("0.0.0.0", "http://127.0.0.1:9000/login/"), ("::1", "http://[::1]:9000/login/")])  # noqa: S104
def test_seed_demo_names_an_address_a_browser_can_open(host, url):
    assert url in run(host=host, port=9000)


def test_reset_passwords_gives_each_demo_person_a_new_random_password_printed_once():
    old = printed_passwords(run())
    out = run(reset_passwords=True, port=8101)
    new = printed_passwords(out)
    assert set(new) == {person.email for person in PEOPLE}
    assert len(set(new.values())) == len(PEOPLE)
    for email, password in new.items():
        assert password != old[email]
        assert out.count(password) == 1
        assert authenticate(username=email, password=password) == User.objects.get(email=email)
        assert authenticate(username=email, password=old[email]) is None
    assert "http://127.0.0.1:8101/login/" in out.splitlines()[-1]


def test_reset_passwords_leaves_everyone_else_and_the_service_account_alone():
    run()
    other = UserFactory(email="someone@else.example")
    add_member(OrganizationFactory(), other)
    passwords_before = dict(User.objects.exclude(email__in=[p.email for p in PEOPLE]).values_list("email", "password"))
    run(reset_passwords=True)
    assert dict(User.objects.exclude(email__in=[p.email for p in PEOPLE]).values_list("email", "password")) == passwords_before


def test_reset_passwords_skips_a_demo_email_that_is_not_a_member_of_the_demo():
    run()
    demo_person = User.objects.get(email=PEOPLE[-1].email)
    demo_person.memberships.filter(org__name=DEMO_ORG).delete()
    hashed = User.objects.get(pk=demo_person.pk).password
    out = run(reset_passwords=True)
    assert PEOPLE[-1].email not in printed_passwords(out)
    assert User.objects.get(pk=demo_person.pk).password == hashed


def test_reset_passwords_with_password_gives_everyone_that_password():
    run()
    out = run(reset_passwords=True, password="violet-Kettle-42-orbit")
    assert set(printed_passwords(out).values()) == {"violet-Kettle-42-orbit"}
    for person in PEOPLE:
        assert User.objects.get(email=person.email).check_password("violet-Kettle-42-orbit")


def test_the_help_names_the_reset_option():
    assert "--reset-passwords" in Command().create_parser("manage.py", "seed_demo").format_help()


def test_reset_passwords_without_a_demo_is_a_clear_error_and_creates_nothing():
    with pytest.raises(CommandError, match="run seed_demo without --reset-passwords first"):
        run(reset_passwords=True)
    assert not User.objects.filter(email__in=[p.email for p in PEOPLE]).exists()
