"""factory-boy factories for AI secrets and environment variables, their values encrypted as the services
store them. ``value`` (or ``secret``) is the raw value; rows are written directly."""

import factory
from django.utils import timezone

from secrets_store import crypto
from secrets_store.models import AISecret, EnvVar
from tests.factories import OrganizationFactory


class _EncryptedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True
        exclude = ("value",)

    value = factory.Sequence(lambda n: f"sk-test-raw-value-{n:06d}-abcdefgh")
    encrypted_value = factory.LazyAttribute(lambda row: crypto.encrypt(row.value) if row.value is not None else "")
    preview_secret = factory.LazyAttribute(lambda row: crypto.preview(row.value) if row.value is not None else "")
    created = factory.LazyFunction(timezone.now)


class AISecretFactory(_EncryptedFactory):
    class Meta:
        model = AISecret

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"PROVIDER_{n}_API_KEY")
    type = "openai"


class EnvVarFactory(_EncryptedFactory):
    """An organization's variable, unless given a ``project`` or a ``function``."""

    class Meta:
        model = EnvVar

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"VARIABLE_{n}")
    object_type = factory.LazyAttribute(
        lambda row: "project" if row.project is not None else "function" if row.function is not None else "organization"
    )
    object_id = factory.LazyAttribute(
        lambda row: row.project.pk if row.project is not None else row.function.pk if row.function is not None else row.org.pk
    )
    project = None
    function = None
