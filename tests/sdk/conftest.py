"""What the SDK tests share: an organization and its owner, and the storage /logs3 overflows into."""

from pathlib import Path

import pytest

from tests.factories import OrganizationFactory, owner_of


@pytest.fixture
def org():
    return OrganizationFactory(name="Acme")


@pytest.fixture
def owner(org):
    return owner_of(org)


@pytest.fixture
def overflow_dir(settings, tmp_path) -> Path:
    """The logs3_overflow storage, in this test's own folder."""
    folder = tmp_path / "overflow"
    settings.STORAGES = {
        **settings.STORAGES,
        "logs3_overflow": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(folder)}},
    }
    return folder
