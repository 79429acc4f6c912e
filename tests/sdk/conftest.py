"""What the SDK tests share: an organization, its owner and an API key of theirs, a project, and the storage
/logs3 overflows into."""

from pathlib import Path

import pytest

from accounts.services.credentials import api_key_create
from projects.models import Project
from tests.factories import OrganizationFactory, ProjectFactory, owner_of


@pytest.fixture
def org():
    return OrganizationFactory(name="Acme")


@pytest.fixture
def owner(org):
    return owner_of(org)


@pytest.fixture
def owner_key(org) -> str:
    """A raw ``sk-`` API key of the organization's owner."""
    _, raw = api_key_create(actor=owner_of(org), org=org, name="sdk")
    return raw


@pytest.fixture
def project(org) -> Project:
    return ProjectFactory(org=org, name="Chatbot")


@pytest.fixture
def overflow_dir(settings, tmp_path) -> Path:
    """The logs3_overflow storage, in this test's own folder."""
    folder = tmp_path / "overflow"
    settings.STORAGES = {
        **settings.STORAGES,
        "logs3_overflow": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(folder)}},
    }
    return folder
