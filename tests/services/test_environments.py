"""accounts.services.environments and projects.services.environments: an organization's environments, and
the versions of its prompts and datasets pinned to them, checked, atomic and audited."""

import pytest

from accounts.models import Environment
from accounts.services.environments import environment_create, environment_delete, environment_update
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from projects.models import EnvironmentObject, EventVersion
from projects.services.environments import environment_object_delete, environment_object_update
from projects.services.prompts import prompt_update
from tests.access_helpers import audit_actions, grant
from tests.factories import DatasetFactory, OrganizationFactory, ProjectFactory, add_member, insert_as_owner, owner_of
from tests.factories_prompts import PromptFactory

pytestmark = pytest.mark.django_db


def _environment(org, slug: str) -> Environment:
    return Environment.objects.get(org=org, slug=slug, deleted_at__isnull=True)


@pytest.fixture
def org():
    return OrganizationFactory()


def test_a_new_organization_starts_with_development_staging_and_production(org):
    assert list(Environment.objects.filter(org=org).values_list("slug", "name")) == [
        ("development", "Development"),
        ("staging", "Staging"),
        ("production", "Production"),
    ]


def test_manage_settings_creates_renames_and_deletes_an_environment_each_audited_once(org):
    owner = owner_of(org)
    qa = environment_create(actor=owner, org=org, name="QA", slug="qa", description="manual checks")
    environment_update(actor=owner, environment=qa, name="Quality")
    environment_delete(actor=owner, environment=qa)
    qa.refresh_from_db()
    assert (qa.name, qa.deleted_at is not None) == ("Quality", True)
    assert audit_actions()[-3:] == ["environment.create", "environment.update", "environment.delete"]
    assert environment_create(actor=owner, org=org, name="QA again", slug="qa").slug == "qa"  # a deleted one frees its slug


@pytest.mark.parametrize("group", ["engineers", "viewers"])
def test_members_without_manage_settings_cannot_create_an_environment(org, group):
    member = add_member(org, None, group)
    with pytest.raises(AccessDenied, match="update"):
        environment_create(actor=member, org=org, name="QA", slug="qa")
    assert not Environment.objects.filter(slug="qa").exists()


@pytest.mark.parametrize(
    ("slug", "message"), [("Prod", "slug must be"), ("a b", "slug must be"), ("-x", "slug must be"), ("x" * 256, "slug must be")]
)
def test_a_slug_that_is_not_url_friendly_is_refused(org, slug, message):
    with pytest.raises(ValidationError, match=message):
        environment_create(actor=owner_of(org), org=org, name="X", slug=slug)


def test_a_slug_taken_in_the_organization_is_refused_on_create_and_on_change(org):
    owner = owner_of(org)
    with pytest.raises(ValidationError, match="'staging' already exists"):
        environment_create(actor=owner, org=org, name="Staging 2", slug="staging")
    with pytest.raises(ValidationError, match="'production' already exists"):
        environment_update(actor=owner, environment=_environment(org, "staging"), slug="production")
    other = OrganizationFactory()
    with pytest.raises(ValidationError, match="'staging' already exists"):  # every organization has its own
        environment_create(actor=owner_of(other), org=other, name="S", slug="staging")
    environment_delete(actor=owner_of(other), environment=_environment(other, "staging"))
    assert environment_create(actor=owner_of(other), org=other, name="S", slug="staging").org == other


# Pins


@pytest.fixture
def prompt(org):
    prompt = PromptFactory(project=ProjectFactory(org=org))
    prompt_update(actor=owner_of(org), prompt=prompt, description="second version")
    return prompt


def test_pinning_a_prompt_version_and_moving_it_records_the_version_before_and_after(org, prompt):
    owner, production = owner_of(org), _environment(org, "production")
    first, second = prompt.versions.order_by("xact_id").values_list("xact_id", flat=True)
    environment_object_update(actor=owner, environment=production, obj=prompt, object_version=first)
    pin = environment_object_update(actor=owner, environment=production, obj=prompt, object_version=second)
    assert (pin.object_type, pin.object_id, pin.object_version) == ("prompt", prompt.pk, second)
    assert EnvironmentObject.objects.count() == 1
    event = production.org.audit_events.filter(action="environment_object.update").order_by("-created", "-id").first()
    assert (event.before["object_version"], event.after["object_version"]) == (str(first), str(second))


def test_pinning_the_version_already_pinned_changes_nothing(org, prompt):
    production = _environment(org, "production")
    environment_object_update(actor=owner_of(org), environment=production, obj=prompt, object_version=prompt.xact_id)
    count = len(audit_actions())
    environment_object_update(actor=owner_of(org), environment=production, obj=prompt, object_version=prompt.xact_id)
    assert len(audit_actions()) == count


def test_a_version_the_object_never_had_is_refused_naming_object_version(org, prompt):
    dataset = DatasetFactory(project=prompt.project)
    for obj, version in ((prompt, prompt.xact_id + 1000), (dataset, prompt.xact_id)):
        with pytest.raises(ValidationError, match="object_version"):
            environment_object_update(actor=owner_of(org), environment=_environment(org, "staging"), obj=obj, object_version=version)
    assert not EnvironmentObject.objects.exists()


def test_a_dataset_is_pinned_at_a_transaction_that_wrote_to_it(org):
    dataset = DatasetFactory(project=ProjectFactory(org=org))
    insert_as_owner(dataset, [{"input": "a"}])
    version = EventVersion.objects.get(object_id=dataset.pk).xact_id
    pin = environment_object_update(actor=owner_of(org), environment=_environment(org, "staging"), obj=dataset, object_version=version)
    assert (pin.object_type, pin.object_version) == ("dataset", version)


def test_a_viewer_cannot_pin_and_a_reader_without_update_is_told_update_is_missing(org, prompt):
    viewer = add_member(org, None, "viewers")
    with pytest.raises(AccessDenied, match="update"):
        environment_object_update(actor=viewer, environment=_environment(org, "production"), obj=prompt, object_version=prompt.xact_id)
    assert not EnvironmentObject.objects.exists()


def test_someone_holding_nothing_on_the_object_is_told_it_does_not_exist(org, prompt):
    with pytest.raises(NotFound):
        environment_object_update(actor=add_member(org), environment=_environment(org, "production"), obj=prompt, object_version=1)


def test_an_environment_of_another_organization_is_not_found(org, prompt):
    theirs = _environment(OrganizationFactory(), "production")
    with pytest.raises(NotFound, match="environment"):
        environment_object_update(actor=owner_of(org), environment=theirs, obj=prompt, object_version=prompt.xact_id)


def test_update_on_the_prompt_alone_is_enough_to_unpin_it(org, prompt):
    production = _environment(org, "production")
    environment_object_update(actor=owner_of(org), environment=production, obj=prompt, object_version=prompt.xact_id)
    editor = add_member(org)
    grant(org, prompt, user=editor, permission="update")
    environment_object_delete(actor=editor, environment=production, obj=prompt)
    assert not EnvironmentObject.objects.exists()
    assert audit_actions()[-1] == "environment_object.delete"
    with pytest.raises(NotFound, match="environment object"):
        environment_object_delete(actor=editor, environment=production, obj=prompt)
