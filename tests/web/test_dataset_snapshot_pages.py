"""A dataset's snapshots on its page: listed for whoever reads the dataset, made (Snapshot) by whoever may
update it, at the dataset's latest version unless one is named; refusals and bad versions write nothing,
and the page's queries do not grow with the snapshots."""

import pytest
from django.urls import reverse

from projects.models import DatasetSnapshot
from projects.services.dataset_snapshots import latest_transaction
from tests.access_helpers import audit_actions, grant, row_counts
from tests.factories import DatasetFactory, DatasetSnapshotFactory, ExperimentFactory, add_member, insert_as_owner
from tests.query_helpers import steady_state_queries
from tests.worlds import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(project):
    dataset = DatasetFactory(project=project, name="golden")
    insert_as_owner(dataset, [{"id": "case-1", "input": "Capital of France?", "expected": "Paris"}])
    return dataset


def page_url(dataset, name="project-object") -> str:
    kwargs = {"org_name": dataset.project.org.name, "project_id": dataset.project_id, "kind": "datasets", "object_id": dataset.pk}
    return reverse(f"web:{name}", kwargs=kwargs)


def create_url(dataset) -> str:
    return page_url(dataset, "dataset-snapshot-create")


def test_the_dataset_page_lists_its_snapshots_and_offers_snapshot_to_whoever_may_update_it(dataset, people):
    DatasetSnapshotFactory(dataset=dataset, name="baseline", xact_id=latest_transaction(dataset), description="Before relabel")
    for who, offers in (("owner", True), ("engineer", True), ("viewer", False)):
        html = client_for(people[who]).get(page_url(dataset)).content.decode()
        assert 'data-snapshot="baseline"' in html and "Before relabel" in html
        assert (create_url(dataset) in html) is offers


def test_snapshot_names_the_datasets_latest_version_unless_told_otherwise(dataset, people):
    first = latest_transaction(dataset)
    insert_as_owner(dataset, [{"id": "case-2", "input": "Capital of Peru?"}])
    client = client_for(people["engineer"])
    response = client.post(create_url(dataset), {"name": "now", "description": "", "xact_id": ""})
    assert response.status_code == 302 and response["Location"].endswith("#snapshots")
    assert client.post(create_url(dataset), {"name": "then", "description": "", "xact_id": first}).status_code == 302
    assert dict(DatasetSnapshot.objects.values_list("name", "xact_id")) == {"now": latest_transaction(dataset), "then": first}
    assert audit_actions()[-2:] == ["dataset_snapshot.create", "dataset_snapshot.create"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "v", "xact_id": "999999999"}, "is not a transaction of this dataset"),
        ({"name": "v", "xact_id": "-1"}, "greater than or equal to 0"),
        ({"name": "", "xact_id": ""}, "This field is required."),
        ({"name": "taken", "xact_id": ""}, "already exists in this dataset"),
    ],
)
def test_a_bad_snapshot_is_refused_with_the_reason_and_writes_nothing(dataset, people, data, message):
    DatasetSnapshotFactory(dataset=dataset, name="taken", xact_id=latest_transaction(dataset))
    client = client_for(people["owner"])
    before = row_counts()
    response = client.post(create_url(dataset), {"description": "", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert row_counts() == before


def test_a_dataset_without_records_cannot_be_snapshotted(project, people):
    empty = DatasetFactory(project=project)
    response = client_for(people["owner"]).post(create_url(empty), {"name": "v", "description": "", "xact_id": ""})
    assert response.status_code == 400 and "the dataset has no rows yet" in response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("outsider", 404)])
def test_reading_the_dataset_is_not_enough_to_snapshot_it(dataset, people, who, status):
    client = client_for(people[who])
    before = row_counts()
    assert client.get(create_url(dataset)).status_code == status
    assert client.post(create_url(dataset), {"name": "v", "description": "", "xact_id": ""}).status_code == status
    assert row_counts() == before


def test_an_update_grant_on_the_dataset_alone_is_enough(org, dataset):
    editor = add_member(org)
    grant(org, dataset, user=editor, permission="read")
    grant(org, dataset, user=editor, permission="update")
    assert client_for(editor).post(create_url(dataset), {"name": "mine", "description": "", "xact_id": ""}).status_code == 302


def test_only_a_dataset_is_snapshotted(project, people):
    experiment = ExperimentFactory(project=project)
    kwargs = {"org_name": project.org.name, "project_id": project.pk, "kind": "experiments", "object_id": experiment.pk}
    assert client_for(people["owner"]).get(reverse("web:dataset-snapshot-create", kwargs=kwargs)).status_code == 404


def test_the_dataset_page_costs_the_same_queries_for_one_snapshot_and_many(dataset, people):
    client = client_for(people["owner"])
    DatasetSnapshotFactory(dataset=dataset, created_by=people["owner"])
    one = steady_state_queries(client, page_url(dataset))
    for _ in range(10):
        DatasetSnapshotFactory(dataset=dataset, created_by=people["engineer"])
    assert steady_state_queries(client, page_url(dataset)) == one
