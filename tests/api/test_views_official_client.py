"""Braintrust's official Python client (``braintrust-api``) saving, listing, changing and deleting views of a
project's logs against a live server, and seeing a reader's refusal as its own error."""

import braintrust_api
import pytest

from projects.models import View
from tests.factories import OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.official_client_helpers import official_client_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_view_of_the_logs_goes_through_every_call_of_the_official_client(live_server):
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    logs = {"object_type": "project_log", "object_id": str(project.pk)}
    client = official_client_for(live_server, owner_of(org), org)

    view = client.views.create(**logs, name="Production", view_type="logs", view_data={"search": {"tag": ["production"]}})
    assert (view.name, view.view_type, view.object_type) == ("Production", "logs", "project_log")
    assert client.views.create(**logs, name="Production", view_type="logs").id == view.id
    assert [v.id for v in client.views.list(**logs, view_type="logs")] == [view.id]
    assert client.views.retrieve(view.id, **logs).name == "Production"

    changed = client.views.update(view.id, **logs, name="Prod", options={"columnVisibility": {"output": False}})
    assert changed.name == "Prod" and changed.view_data.search.tag == ["production"]
    replaced = client.views.replace(**logs, name="Prod", view_type="logs", view_data={"search": {"tag": ["staging"]}})
    assert replaced.id == view.id and replaced.view_data.search.tag == ["staging"]

    reader = official_client_for(live_server, add_member(org, None, "viewers"), org)
    assert [v.name for v in reader.views.list(**logs)] == ["Prod"]
    with pytest.raises(braintrust_api.PermissionDeniedError):
        reader.views.delete(view.id, **logs)

    assert client.views.delete(view.id, **logs).id == view.id
    assert not View.objects.exists()
