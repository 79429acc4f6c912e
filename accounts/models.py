"""People, organizations and the credentials that act for them.

Service accounts are users of kind ``service_account``: the access engine treats every principal the
same way, and guardian's user grant tables hold grants for people and service accounts alike.
"""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from permissions.grant_tables import grant_tables
from permissions.types import model_permissions


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


def normalize_email(email: str) -> str:
    """Emails are compared case-insensitively, so they are stored lowercased and trimmed."""
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """A principal: a person who logs in, or a service account that only uses service tokens.

    Membership of permission groups is stored in Django's ``groups`` relation (each permission group
    owns one ``auth.Group``), so that django-guardian sees group grants the way the engine does.
    """

    class Kind(models.TextChoices):
        PERSON = "person"
        SERVICE_ACCOUNT = "service_account"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    email = models.EmailField(unique=True)
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    avatar_url = models.URLField(blank=True, verbose_name="avatar URL")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSON)
    service_account_org = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="service_accounts",
        verbose_name="service account's organization",
        help_text="The one organization a service account belongs to; empty for people.",
    )
    is_active = models.BooleanField(default=True, verbose_name="active")
    is_staff = models.BooleanField(default=False, verbose_name="staff status", help_text="May log in to the Django admin.")
    created = models.DateTimeField(default=timezone.now)
    last_active_at = models.DateTimeField(null=True, blank=True, verbose_name="last active")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="service_account", service_account_org__isnull=False)
                    | models.Q(kind="person", service_account_org__isnull=True)
                ),
                name="user_service_account_has_exactly_one_org",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_service_account(self) -> bool:
        return self.kind == self.Kind.SERVICE_ACCOUNT

    @property
    def audit_type(self) -> str:
        return "service_account" if self.is_service_account else "user"

    @property
    def audit_name(self) -> str:
        """A service account by its name, a person by the email they sign in with."""
        return self.given_name if self.is_service_account else self.email

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.given_name or self.email


class ServiceAccountManager(UserManager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=User.Kind.SERVICE_ACCOUNT)


class ServiceAccount(User):
    """The service accounts among users, for the admin and for readable queries."""

    objects = ServiceAccountManager()

    class Meta:
        proxy = True


class Organization(models.Model):
    """A tenant. Everything else belongs to exactly one organization."""

    acl_object_type = "organization"
    acl_parent_field = None

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255, unique=True)
    api_url = models.URLField(max_length=2048, null=True, blank=True)
    proxy_url = models.URLField(max_length=2048, null=True, blank=True)
    realtime_url = models.URLField(max_length=2048, null=True, blank=True)
    create_direct_ownership_grants = models.BooleanField(
        default=True,
        help_text="Whoever creates a project or an object in one receives the owner role on it.",
    )
    created = models.DateTimeField(default=timezone.now)
    # A new value whenever anything the access engine keeps about a principal changes in this
    # organization (memberships, groups and their members, roles and their pairs). Database triggers set
    # it, in the same transaction as the change (migration 0004), so no write path can forget it; it is
    # random rather than counted so that a value seen inside a rolled-back transaction never comes back.
    access_version = models.UUIDField(default=uuid.uuid4, editable=False)
    # A new value whenever a grant on a project or on an object in one changes (migration 0005), for the
    # ids a list reads of what a principal was granted there, kept across requests. Apart from
    # access_version so that creating an object, which grants its creator, leaves every principal's
    # cached context alone.
    grants_version = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["name"]
        default_permissions = ()
        permissions = model_permissions("organization")

    def __str__(self) -> str:
        return self.name


class Environment(models.Model):
    """A named stage of an organization (development, staging, production) to which the versions of its
    prompts, functions and datasets are pinned. Its slug is what clients name it by, unique among the
    organization's live environments; a deleted one keeps its row (``deleted_at``) and frees its slug."""

    audit_type = "environment"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="environments", verbose_name="organization")
    name = models.CharField(max_length=255)
    slug = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True, verbose_name="deleted")

    class Meta:
        ordering = ["created", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "slug"], condition=models.Q(deleted_at__isnull=True), name="environment_slug_unique_in_org"
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    """A principal's membership of an organization: without it, no grant in the organization counts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name="organization")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["org", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.org}"


class Invitation(models.Model):
    """An invitation of an email address into an organization and some of its permission groups."""

    audit_type = "invitation"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations", verbose_name="organization")
    email = models.EmailField()
    groups = models.ManyToManyField("permissions.PermissionGroup", blank=True, related_name="invitations")
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(verbose_name="expires")
    accepted_at = models.DateTimeField(null=True, blank=True, verbose_name="accepted")
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name="revoked")
    token_hash = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="SHA-256 of the one-time token in the emailed link; the token itself is only in the email.",
    )

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                "org",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_email",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="invitation_not_both_accepted_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.org}"

    @property
    def audit_name(self) -> str:
        return self.email

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class ApiKey(models.Model):
    """A bearer credential: a person's API key (``sk-``) or a service account's token (``bt-st-``).

    Only the SHA-256 hash of the raw value is stored; the raw value is returned once by the service
    that creates it. ``preview_name`` is safe to show anywhere.
    """

    class Kind(models.TextChoices):
        API_KEY = "api_key"
        SERVICE_TOKEN = "service_token"  # noqa: S105 (a kind, not a secret)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys", verbose_name="organization")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    preview_name = models.CharField(max_length=32, editable=False, verbose_name="preview")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name="last used")
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name="expires")
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name="revoked")

    class Meta:
        ordering = ["-created"]
        verbose_name = "API key"
        indexes = [models.Index(fields=["user", "kind", "-created"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.preview_name})"

    @property
    def audit_type(self) -> str:
        return self.kind

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


OrganizationUserObjectPermission, OrganizationGroupObjectPermission = grant_tables(Organization)
