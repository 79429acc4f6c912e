"""Create an organization with its built-in groups and its first owner, and optionally an API key.

    python manage.py bootstrap_org --org "Acme" --owner-email ada@acme.example [--password …] [--api-key-name deploy]

Everything happens in one transaction: an error leaves the database as it was. With ``--api-key-name``
the raw API key is the last line printed on standard output and appears nowhere else (only its hash is
stored), so a script can take it with ``tail -n 1``.

An owner email that belongs to an existing person reuses that person. Their password is never changed
here: combining ``--password`` with an existing email is refused, so that a typo in an email address
cannot silently reset someone else's password.
"""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import Organization, User, normalize_email
from accounts.services.credentials import api_key_create
from accounts.services.organizations import organization_create
from permissions.audit import request_origin
from permissions.exceptions import AccessDenied, NotFound


def _messages(exc: DjangoValidationError) -> str:
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Create an organization with Owners, Engineers and Viewers, its first owner, and optionally an API key for that owner."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Name of the new organization (must not exist yet).")
        parser.add_argument("--owner-email", required=True, help="Email of the first owner: a new person, or an existing one to reuse.")
        parser.add_argument(
            "--password",
            help=(
                "Password for a new owner, checked by the password validators. Refused when the email belongs to an existing "
                "person (their password is left alone)."
            ),
        )
        parser.add_argument(
            "--api-key-name",
            help="Also create an API key with this name for the owner; its raw value is the last line printed.",
        )

    def handle(self, *args, org: str, owner_email: str, password: str | None, api_key_name: str | None, **options):
        name = (org or "").strip()
        if not name:
            raise CommandError("--org must not be empty.")
        email = normalize_email(owner_email or "")
        try:
            validate_email(email)
        except DjangoValidationError as exc:
            raise CommandError(f"--owner-email {owner_email!r} is not a valid email address.") from exc
        if api_key_name is not None and not api_key_name.strip():
            raise CommandError("--api-key-name must not be empty.")

        lines: list[str] = []
        raw_key: str | None = None
        try:
            with request_origin(channel="cli", command="bootstrap_org"), transaction.atomic():
                if Organization.objects.filter(name=name).exists():
                    raise CommandError(f"An organization named {name!r} already exists; nothing was changed.")
                owner = User.objects.filter(email__iexact=email).first()
                if owner is None:
                    owner = User(email=email)
                    if password is not None:
                        try:
                            validate_password(password, owner)
                        except DjangoValidationError as exc:
                            raise CommandError(f"--password was refused: {_messages(exc)}") from exc
                    owner = User.objects.create_user(email=email, password=password)
                    if password is None:
                        lines.append(f"Created {email} without a usable password; set one with: python manage.py changepassword {email}")
                    else:
                        lines.append(f"Created {email} with the given password.")
                else:
                    if owner.is_service_account:
                        raise CommandError(f"{email} is a service account; an organization's owner must be a person.")
                    if password is not None:
                        raise CommandError(
                            f"{email} already exists; its password is not changed by this command. "
                            "Run again without --password (or use: python manage.py changepassword)."
                        )
                    lines.append(f"Reusing the existing account {email}; its password is unchanged.")

                organization = organization_create(name=name, owner=owner)
                lines.append(f"Created organization {organization.name!r} ({organization.pk}) with groups Owners, Engineers and Viewers.")
                lines.append(f"{email} is a member of Owners.")

                if api_key_name is not None:
                    key, raw_key = api_key_create(actor=owner, org=organization, name=api_key_name.strip())
                    lines.append(f"API key {key.name!r} ({key.preview_name}) for {email}; it is shown once, on the next line:")
        except DjangoValidationError as exc:
            raise CommandError(_messages(exc)) from exc
        except (AccessDenied, NotFound) as exc:
            raise CommandError(str(exc)) from exc

        # Printed only after the commit, so nothing is shown for a change that did not happen.
        for line in lines:
            self.stdout.write(line)
        if raw_key is not None:
            self.stdout.write(raw_key)
