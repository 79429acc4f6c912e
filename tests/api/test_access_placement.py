"""Where the API decides access: every /v1 view is an OrgScopedView whose access EngineAccess decides,
and no view can quietly take the decision back by overriding the sealed methods."""

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIRequestFactory

from api import urls as api_urls
from api.base import OrgScopedView
from permissions.drf import EngineAccess
from permissions.engine import Node
from permissions.exceptions import AccessDenied, NotFound
from permissions.requirements import Needs, NeedsCreate, NeedsOwner, NeedsSession, NeedsSight
from tests.access_helpers import grant
from tests.factories import OrganizationFactory, ProjectFactory, add_member, owner_of

UNGUARDED = {"api-index", "api-schema", "api-docs"}  # public: the greeting, the schema and its docs page


def _api_views():
    for pattern in api_urls.urlpatterns:
        if pattern.name not in UNGUARDED:
            yield pattern.name, pattern.callback.view_class


def test_the_api_serves_views_to_check():
    assert len(list(_api_views())) >= 17


@pytest.mark.parametrize(("name", "view_class"), list(_api_views()))
def test_every_api_view_is_org_scoped_and_guarded_by_the_engine(name, view_class):
    assert issubclass(view_class, OrgScopedView), name
    assert view_class.permission_classes == [EngineAccess], name


@pytest.mark.parametrize("sealed", ["get_queryset", "get_object", "check_permissions", "check_object_permissions", "permission_classes"])
def test_a_view_that_overrides_a_sealed_member_cannot_even_be_defined(sealed):
    with pytest.raises(TypeError, match=sealed):
        type("SneakyView", (OrgScopedView,), {sealed: lambda self: None})


def test_the_escape_hatch_is_named_so_that_it_stands_out():
    assert hasattr(OrgScopedView, "dangerously_get_unscoped_queryset")


# The requirements themselves, checked directly against the engine


@pytest.fixture
def request_for():
    factory = APIRequestFactory()

    def build(user, *, auth=None):
        request = factory.get("/")
        request.user, request.auth = user, auth
        return request

    return build


def _project_and_holders(*permissions: str | None):
    """A new organization, a project of it, and for each of `permissions` a new member holding that one
    permission on the project (None: holding nothing)."""
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    holders = [add_member(org) for _ in permissions]
    for holder, permission in zip(holders, permissions, strict=True):
        if permission is not None:
            grant(org, project, user=holder, permission=permission)
    return org, project, holders


@pytest.mark.django_db
def test_needs_answers_404_without_any_permission_and_403_with_another(request_for):
    org, project, (stranger, reader) = _project_and_holders(None, "read")
    requirement = Needs("update", Node.of(project))
    with pytest.raises(NotFound):
        requirement.check(request_for(stranger), org.pk)
    with pytest.raises(AccessDenied, match="'update'"):
        requirement.check(request_for(reader), org.pk)
    grant(org, project, user=reader, permission="update")
    requirement.check(request_for(reader), org.pk)


@pytest.mark.django_db
def test_every_requirement_refuses_a_node_of_another_organization_as_missing(request_for):
    org, other = OrganizationFactory(), OrganizationFactory()
    owner = owner_of(org)
    foreign_project = ProjectFactory(org=other)
    for requirement in (
        Needs("read", Node.of(foreign_project)),
        NeedsSight(Node.of(foreign_project)),
        NeedsCreate("experiment", Node.of(foreign_project)),
    ):
        with pytest.raises(NotFound):
            requirement.check(request_for(owner), org.pk)


@pytest.mark.django_db
def test_needs_sight_accepts_any_permission_but_create(request_for):
    org, project, (creator, updater) = _project_and_holders("create", "update")
    with pytest.raises(NotFound):
        NeedsSight(Node.of(project)).check(request_for(creator), org.pk)
    NeedsSight(Node.of(project)).check(request_for(updater), org.pk)


@pytest.mark.django_db
def test_needs_owner_refuses_engineers_and_strangers(request_for):
    org, other = OrganizationFactory(), OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    NeedsOwner("do this").check(request_for(owner_of(org)), org.pk)
    with pytest.raises(AccessDenied, match="Only Owners can do this"):
        NeedsOwner("do this").check(request_for(engineer), org.pk)
    with pytest.raises(NotFound):
        NeedsOwner("do this").check(request_for(owner_of(other)), org.pk)


@pytest.mark.django_db
def test_needs_session_refuses_a_bearer_credential(request_for):
    org = OrganizationFactory()
    owner = owner_of(org)
    NeedsSession("no keys here", "api_key").check(request_for(owner), org.pk)
    with pytest.raises(AccessDenied, match="no keys here"):
        NeedsSession("no keys here", "api_key").check(request_for(owner, auth=object()), org.pk)


@pytest.mark.django_db
def test_engine_access_refuses_an_anonymous_request_before_any_requirement(request_for):
    class Exploding:
        def requirements(self):
            raise AssertionError("requirements must not be read for an anonymous request")

    assert EngineAccess().has_permission(request_for(AnonymousUser()), Exploding()) is False  # DRF answers 401
