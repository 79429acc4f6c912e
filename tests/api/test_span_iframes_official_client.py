"""Braintrust's official Python client (``braintrust-api``) managing span iframes against a live server:
the ``span_iframes`` resource's every call, and the refusals it raises."""

import braintrust_api
import pytest

from projects.models import SpanIframe
from tests.factories import OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.official_client_helpers import official_client_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_span_iframes_are_created_listed_changed_replaced_and_deleted_with_the_official_client(live_server):
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    client = official_client_for(live_server, owner_of(org), org)

    made = client.span_iframes.create(project_id=str(project.pk), name="Viewer", url="https://tools.example.com/v", post_message=True)
    assert (made.name, made.url, made.post_message, made.deleted_at) == ("Viewer", "https://tools.example.com/v", True, None)
    assert client.span_iframes.create(project_id=str(project.pk), name="Viewer", url="https://other.example.com").id == made.id
    assert [item.id for item in client.span_iframes.list(span_iframe_name="Viewer")] == [made.id]
    assert client.span_iframes.retrieve(made.id).project_id == str(project.pk)

    changed = client.span_iframes.update(made.id, url="https://tools.example.com/w")
    assert (changed.url, changed.post_message) == ("https://tools.example.com/w", True)
    replaced = client.span_iframes.replace(project_id=str(project.pk), name="Viewer", url="https://tools.example.com/x", description="d")
    assert (replaced.id, replaced.url, replaced.description) == (made.id, "https://tools.example.com/x", "d")

    deleted = client.span_iframes.delete(made.id)
    assert deleted.id == made.id and deleted.deleted_at is not None
    assert not SpanIframe.objects.filter(pk=made.id).exists()


def test_the_official_client_raises_on_an_http_url_and_on_a_viewers_create(live_server):
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    owner = official_client_for(live_server, owner_of(org), org)
    with pytest.raises(braintrust_api.BadRequestError, match="only https URLs may be embedded"):
        owner.span_iframes.create(project_id=str(project.pk), name="Viewer", url="http://tools.example.com/v")
    viewer = official_client_for(live_server, add_member(org, None, "viewers"), org)
    with pytest.raises(braintrust_api.PermissionDeniedError):
        viewer.span_iframes.create(project_id=str(project.pk), name="Viewer", url="https://tools.example.com/v")
    assert not SpanIframe.objects.exists()
