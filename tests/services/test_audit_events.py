"""docs/access-model.md, "Audit": one event per change, in the change's transaction, with who, what, and from where."""

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.models import Environment
from accounts.services import credentials
from accounts.services.environments import environment_create, environment_delete, environment_update
from accounts.services.members import invitation_accept, invitation_revoke, member_invite, member_invite_user, member_remove
from accounts.services.organizations import organization_create, organization_update
from permissions.audit import request_origin
from permissions.engine import can
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.models import AuditEvent, PermissionGroup
from permissions.services.grants import GrantSpec, acl_batch_update, acl_grant, acl_revoke, acl_revoke_matching
from permissions.services.groups import group_create, group_delete, group_member_expiry_set, group_update
from permissions.services.roles import role_create, role_delete, role_update
from projects.models import Project, ProjectScore, ProjectTag, View
from projects.services import configuration, views
from projects.services.environments import environment_object_delete, environment_object_update
from projects.services.experiments import dataset_create, dataset_update, experiment_create, experiment_update
from projects.services.objects import object_create, object_delete, project_create, project_delete, project_update
from projects.services.playgrounds import playground_create, playground_update
from projects.services.prompts import prompt_create, prompt_replace, prompt_restore, prompt_update
from tests.access_helpers import custom_group, custom_role, grant, row_counts, spec_for
from tests.factories import (
    DatasetFactory,
    ExperimentFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
    add_member,
    builtin_group,
    owner_of,
)

pytestmark = pytest.mark.django_db

ORIGIN = {"channel": "api", "ip": "1.2.3.4"}


@pytest.fixture
def ctx():
    org = OrganizationFactory()
    owner = owner_of(org)
    project = ProjectFactory(org=org, name="P")
    robot = credentials.service_account_create(actor=owner, org=org, name="robot")
    token, _ = credentials.service_token_create(actor=owner, org=org, account_id=robot.pk, name="t")
    key, _ = credentials.api_key_create(actor=owner, org=org, name="k")
    member = add_member(org, None, "engineers")
    return SimpleNamespace(
        org=org,
        owner=owner,
        member=member,
        newcomer=UserFactory(email="newcomer@example.com"),
        project=project,
        experiment=ExperimentFactory(project=project, name="E"),
        group=custom_group(org, name="Team"),
        role=custom_role(org, "Reviewer", [("read", "")]),
        robot=robot,
        token=token,
        key=key,
        invitation=member_invite(actor=owner, org=org, email="newcomer@example.com"),
        record=grant(org, project, user=member, permission="read"),
        dataset=DatasetFactory(project=project, name="D0"),
        tag=ProjectTag.objects.create(project=project, name="prod"),
        score=ProjectScore.objects.create(project=project, name="accuracy", score_type="slider"),
        prompt=prompt_create(actor=owner, project=project, name="Reply", slug="reply"),
        playground=playground_create(actor=owner, project=project, name="Tries"),
        view=View.objects.create(org=org, object_type="project_log", object_id=project.pk, view_type="logs", name="Production"),
    )


def case(call, action: str, target, *, actor=None, count: int = 1) -> dict:
    """What `call` must write: `count` events, the first of `action` on `target` (an id known beforehand, or
    how to read it from the call's result), by `actor` (the owner unless said)."""
    kind, verb = action.split(".")
    before, after = RECORDED[verb]
    return {
        "call": call,
        "action": action,
        "target_type": "user" if kind == "member" else kind,
        "target": target,
        "actor": actor,
        "before": before,
        "after": after,
        "count": count,
    }


def _member_expiry_set(c):
    """Setting when the member's membership of the group expires, the member added beforehand."""
    c.group.auth_group.user_set.add(c.member)
    return lambda: group_member_expiry_set(
        actor=c.owner, group=c.group, member_user_id=c.member.pk, expires_at=timezone.now() + timedelta(days=7)
    )


# Whether an event of each verb records the target's state before the change, and after it.
RECORDED = {
    "create": (False, True),
    "join": (False, True),
    "update": (True, True),
    "delete": (True, False),
    "remove": (True, False),
    "revoke": (False, False),
    "restore": (True, True),
}


def _staging(c) -> Environment:
    return Environment.objects.get(org=c.org, slug="staging")


def _unpin_case(c):
    """Unpinning the prompt from staging, pinned beforehand."""
    pin = environment_object_update(actor=c.owner, environment=_staging(c), obj=c.prompt, object_version=c.prompt.xact_id)
    return case(
        lambda: environment_object_delete(actor=c.owner, environment=_staging(c), obj=c.prompt), "environment_object.delete", pin.pk
    )


def _restore_case(c):
    """Restoring the prompt's first version after a change."""
    first = c.prompt.xact_id
    prompt_update(actor=c.owner, prompt=c.prompt, description="changed")
    return case(lambda: prompt_restore(actor=c.owner, prompt=c.prompt, version=first), "prompt.restore", c.prompt.pk)


CASES = {
    "environment_create": lambda c: case(
        lambda: environment_create(actor=c.owner, org=c.org, name="QA", slug="qa"), "environment.create", lambda r: r.pk
    ),
    "environment_update": lambda c: case(
        lambda: environment_update(actor=c.owner, environment=_staging(c), name="Pre-production"), "environment.update", _staging(c).pk
    ),
    "environment_delete": lambda c: case(
        lambda: environment_delete(actor=c.owner, environment=_staging(c)), "environment.delete", _staging(c).pk
    ),
    "environment_object_update": lambda c: case(
        lambda: environment_object_update(actor=c.owner, environment=_staging(c), obj=c.prompt, object_version=c.prompt.xact_id),
        "environment_object.update",
        lambda r: r.pk,
    ),
    "environment_object_delete": _unpin_case,
    "organization_create": lambda c: case(
        lambda: organization_create(name="New org", owner=c.member), "organization.create", lambda r: r.pk, actor=c.member
    ),
    "organization_update": lambda c: case(
        lambda: organization_update(actor=c.owner, org=c.org, api_url="https://api.example.com"), "organization.update", c.org.pk
    ),
    "member_invite": lambda c: case(
        lambda: member_invite(actor=c.owner, org=c.org, email="someone@example.com"), "invitation.create", lambda r: r.pk
    ),
    "invitation_revoke": lambda c: case(
        lambda: invitation_revoke(actor=c.owner, invitation=c.invitation), "invitation.revoke", c.invitation.pk
    ),
    "invitation_accept": lambda c: case(
        lambda: invitation_accept(user=c.newcomer, invitation=c.invitation), "member.join", c.newcomer.pk, actor=c.newcomer
    ),
    "member_invite_user": lambda c: case(
        lambda: member_invite_user(actor=c.owner, org=c.org, user=UserFactory()), "invitation.create", lambda r: r.pk
    ),
    "member_remove": lambda c: case(lambda: member_remove(actor=c.owner, org=c.org, user=c.member), "member.remove", c.member.pk),
    "service_account_create": lambda c: case(
        lambda: credentials.service_account_create(actor=c.owner, org=c.org, name="r2"), "service_account.create", lambda r: r.pk
    ),
    "service_account_rename": lambda c: case(
        lambda: credentials.service_account_rename(actor=c.owner, org=c.org, account_id=c.robot.pk, name="r3"),
        "service_account.update",
        c.robot.pk,
    ),
    "service_account_delete": lambda c: case(
        lambda: credentials.service_account_delete(actor=c.owner, org=c.org, account_id=c.robot.pk), "service_account.delete", c.robot.pk
    ),
    "service_token_create": lambda c: case(
        lambda: credentials.service_token_create(actor=c.owner, org=c.org, account_id=c.robot.pk, name="t2"),
        "service_token.create",
        lambda r: r[0].pk,
    ),
    "service_token_replace": lambda c: case(
        lambda: credentials.service_token_replace(actor=c.owner, org=c.org, account_id=c.robot.pk, name=c.token.name),
        "service_token.create",
        lambda r: r[0].pk,
        count=2,  # and the delete of the token it replaces
    ),
    "service_token_revoke": lambda c: case(
        lambda: credentials.service_token_revoke(actor=c.owner, org=c.org, token_id=c.token.pk), "service_token.delete", c.token.pk
    ),
    "api_key_create": lambda c: case(
        lambda: credentials.api_key_create(actor=c.owner, org=c.org, name="k2"), "api_key.create", lambda r: r[0].pk
    ),
    "api_key_delete": lambda c: case(lambda: credentials.api_key_delete(actor=c.owner, key_id=c.key.pk), "api_key.delete", c.key.pk),
    "group_create": lambda c: case(lambda: group_create(actor=c.owner, org=c.org, name="Crew"), "group.create", lambda r: r.pk),
    "group_update": lambda c: case(
        lambda: group_update(actor=c.owner, group=c.group, add_member_users=[c.member.pk]), "group.update", c.group.pk
    ),
    "group_delete": lambda c: case(lambda: group_delete(actor=c.owner, group=c.group), "group.delete", c.group.pk),
    "group_member_expiry_set": lambda c: case(_member_expiry_set(c), "group.update", c.group.pk),
    "role_create": lambda c: case(lambda: role_create(actor=c.owner, org=c.org, name="Auditor"), "role.create", lambda r: r.pk),
    "role_update": lambda c: case(
        lambda: role_update(actor=c.owner, role=c.role, add_member_permissions=[("update", "dataset")]), "role.update", c.role.pk
    ),
    "role_delete": lambda c: case(lambda: role_delete(actor=c.owner, role=c.role), "role.delete", c.role.pk),
    "acl_grant": lambda c: case(
        lambda: acl_grant(actor=c.owner, spec=spec_for(c.project, user=c.member, role="viewer")), "acl.create", lambda r: r.id
    ),
    "acl_revoke": lambda c: case(lambda: acl_revoke(actor=c.owner, grant_id=c.record.id), "acl.delete", c.record.id),
    "acl_revoke_matching": lambda c: case(
        lambda: acl_revoke_matching(actor=c.owner, spec=spec_for(c.project, user=c.member, permission="read")), "acl.delete", c.record.id
    ),
    "acl_batch_update": lambda c: case(
        lambda: acl_batch_update(
            actor=c.owner,
            add=[spec_for(c.project, user=c.member, permission="update"), spec_for(c.experiment, user=c.member, permission="delete")],
            remove=[spec_for(c.project, user=c.member, permission="read")],
        ),
        "acl.create",
        lambda r: r[0][0].id,
        count=3,
    ),
    "project_create": lambda c: case(lambda: project_create(actor=c.owner, org=c.org, name="Q"), "project.create", lambda r: r.pk),
    "project_update": lambda c: case(lambda: project_update(actor=c.owner, project=c.project, name="P2"), "project.update", c.project.pk),
    "project_delete": lambda c: case(lambda: project_delete(actor=c.owner, project=c.project), "project.delete", c.project.pk),
    "object_create": lambda c: case(
        lambda: object_create(actor=c.owner, project=c.project, object_type="dataset", name="D"), "dataset.create", lambda r: r.pk
    ),
    "object_delete": lambda c: case(lambda: object_delete(actor=c.owner, obj=c.experiment), "experiment.delete", c.experiment.pk),
    "experiment_create": lambda c: case(
        lambda: experiment_create(actor=c.owner, project=c.project, name="E2", dataset_id=c.dataset.pk), "experiment.create", lambda r: r.pk
    ),
    "experiment_update": lambda c: case(
        lambda: experiment_update(actor=c.owner, experiment=c.experiment, name="E3"), "experiment.update", c.experiment.pk
    ),
    "dataset_create": lambda c: case(lambda: dataset_create(actor=c.owner, project=c.project, name="D1"), "dataset.create", lambda r: r.pk),
    "dataset_update": lambda c: case(
        lambda: dataset_update(actor=c.owner, dataset=c.dataset, description="golden"), "dataset.update", c.dataset.pk
    ),
    "project_tag_create": lambda c: case(
        lambda: configuration.project_tag_create(actor=c.owner, project=c.project, name="staging"), "project_tag.create", lambda r: r.pk
    ),
    "project_tag_update": lambda c: case(
        lambda: configuration.project_tag_update(actor=c.owner, tag=c.tag, color="red"), "project_tag.update", c.tag.pk
    ),
    "project_tag_delete": lambda c: case(
        lambda: configuration.project_tag_delete(actor=c.owner, tag=c.tag), "project_tag.delete", c.tag.pk
    ),
    "project_score_create": lambda c: case(
        lambda: configuration.project_score_create(actor=c.owner, project=c.project, name="style", score_type="slider"),
        "project_score.create",
        lambda r: r.pk,
    ),
    "project_score_update": lambda c: case(
        lambda: configuration.project_score_update(actor=c.owner, score=c.score, description="How right"),
        "project_score.update",
        c.score.pk,
    ),
    "prompt_create": lambda c: case(
        lambda: prompt_create(actor=c.owner, project=c.project, name="Summary", slug="summary"), "prompt.create", lambda r: r.pk
    ),
    "prompt_replace": lambda c: case(lambda: prompt_replace(actor=c.owner, prompt=c.prompt, name="Reply v2"), "prompt.update", c.prompt.pk),
    "prompt_update": lambda c: case(
        lambda: prompt_update(actor=c.owner, prompt=c.prompt, description="Drafts replies"), "prompt.update", c.prompt.pk
    ),
    "prompt_restore": _restore_case,
    "playground_create": lambda c: case(
        lambda: playground_create(actor=c.owner, project=c.project, name="Ideas"), "prompt_session.create", lambda r: r.pk
    ),
    "playground_update": lambda c: case(
        lambda: playground_update(actor=c.owner, playground=c.playground, prompt_ids=[c.prompt.pk]),
        "prompt_session.update",
        c.playground.pk,
    ),
    "project_score_delete": lambda c: case(
        lambda: configuration.project_score_delete(actor=c.owner, score=c.score), "project_score.delete", c.score.pk
    ),
    "view_create": lambda c: case(
        lambda: views.view_create(
            actor=c.owner, org=c.org, object_type="project", object_id=c.project.pk, name="Recent", view_type="experiments"
        ),
        "view.create",
        lambda r: r.pk,
    ),
    "view_update": lambda c: case(
        lambda: views.view_update(actor=c.owner, view=c.view, view_data={"search": {"tag": ["production"]}}), "view.update", c.view.pk
    ),
    "view_delete": lambda c: case(lambda: views.view_delete(actor=c.owner, view=c.view), "view.delete", c.view.pk),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_service_writes_one_audit_event_with_actor_action_target_change_and_origin(ctx, name):
    expected = CASES[name](ctx)
    actor = expected["actor"] or ctx.owner
    actor_email = actor.email
    existing = set(AuditEvent.objects.values_list("id", flat=True))
    with request_origin(channel="api", ip="1.2.3.4"):
        result = expected["call"]()
    events = list(AuditEvent.objects.exclude(id__in=existing).order_by("created", "id"))
    assert len(events) == expected["count"]
    event = events[0]
    target = expected["target"]  # an id known beforehand, or how to read it from the result
    target_id = str(target(result) if callable(target) else target)
    assert event.action == expected["action"]
    assert (event.actor_id, event.actor_email) == (actor.pk, actor_email)
    assert (event.target_type, event.target_id) == (expected["target_type"], target_id)
    assert event.org_id == (result.pk if name == "organization_create" else ctx.org.pk)
    assert event.origin == ORIGIN
    assert event.created is not None
    assert bool(event.before) == expected["before"]
    assert bool(event.after) == expected["after"]
    assert all(e.origin == ORIGIN and e.actor_id == actor.pk for e in events)


SERVICE_MODULES = (
    "accounts.services.organizations",
    "accounts.services.environments",
    "accounts.services.members",
    "accounts.services.credentials",
    "permissions.services.groups",
    "permissions.services.roles",
    "permissions.services.grants",
    "projects.services.objects",
    "projects.services.configuration.tags",
    "projects.services.configuration.scores",
    "projects.services.experiments",
    "projects.services.prompts",
    "projects.services.playgrounds",
    "projects.services.environments",
    "projects.services.views",
)


def test_every_transactional_service_has_an_audit_case():
    services = set()
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            is_atomic_service = callable(value) and hasattr(value, "__wrapped__") and getattr(value, "__module__", None) == module_name
            if is_atomic_service and not name.startswith("_"):
                services.add(name)
    assert services == set(CASES)


def test_update_event_records_the_state_before_and_after():
    org = OrganizationFactory()
    group = custom_group(org, name="Team")
    member = add_member(org)
    group_update(actor=owner_of(org), group=group, name="Crew", add_member_users=[member.pk])
    event = AuditEvent.objects.get(action="group.update")
    assert (event.before["name"], event.before["member_users"]) == ("Team", [])
    assert (event.after["name"], event.after["member_users"]) == ("Crew", [str(member.pk)])
    assert event.target_name == "Crew"


def test_grant_event_records_the_grant():
    org = OrganizationFactory()
    project, member = ProjectFactory(org=org), add_member(org)
    record = grant(org, project, user=member, permission="read", restrict="experiment")
    event = AuditEvent.objects.get(action="acl.create", target_id=str(record.id))
    assert event.after == {
        "object_type": "project",
        "object_id": str(project.pk),
        "user_id": str(member.pk),
        "group_id": None,
        "permission": "read",
        "role_id": None,
        "restrict_object_type": "experiment",
        "expires_at": None,
    }


def test_event_outside_a_declared_origin_is_marked_as_system():
    org = OrganizationFactory()
    group_create(actor=owner_of(org), org=org, name="Crew")
    assert AuditEvent.objects.get(action="group.create").origin == {"channel": "system"}


@pytest.mark.parametrize(
    "refused",
    [
        lambda c: group_create(actor=c.member, org=c.org, name="Crew"),
        lambda c: group_update(actor=c.owner, group=c.group, add_member_groups=[c.group.pk]),
        lambda c: group_delete(actor=c.owner, group=builtin_group(c.org, "owners")),
        lambda c: group_member_expiry_set(
            actor=c.owner, group=builtin_group(c.org, "owners"), member_user_id=c.owner.pk, expires_at=timezone.now() + timedelta(days=1)
        ),
        lambda c: role_update(actor=c.member, role=c.role, name="x"),
        lambda c: acl_grant(actor=c.member, spec=spec_for(c.project, user=c.member, permission="delete")),
        lambda c: acl_batch_update(
            actor=c.owner,
            add=[spec_for(c.project, user=c.member, permission="update")],
            remove=[GrantSpec(object_type="organization", object_id=c.org.pk, user_id=c.member.pk, permission="own")],
        ),
        lambda c: member_remove(actor=c.owner, org=c.org, user=c.owner),
        lambda c: member_invite(actor=c.member, org=c.org, email="x@example.com"),
        lambda c: organization_update(actor=c.member, org=c.org, api_url="https://x.example.com"),
        lambda c: credentials.service_account_create(actor=c.member, org=c.org, name="r"),
        lambda c: credentials.api_key_create(actor=c.member, org=c.org, name="k", via_api_key=True),
        lambda c: project_update(actor=c.member, project=c.project, name=""),
        lambda c: object_create(actor=c.owner, project=c.project, object_type="experiment", name="E"),
    ],
    ids=[
        "group_create-denied",
        "group_update-cycle",
        "group_delete-builtin",
        "group_member_expiry_set-owners",
        "role_update-denied",
        "acl_grant-denied",
        "acl_batch_update-invalid-removal",
        "member_remove-last-owner",
        "member_invite-denied",
        "organization_update-denied",
        "service_account_create-not-owner",
        "api_key_create-via-api-key",
        "project_update-invalid",
        "object_create-duplicate",
    ],
)
def test_refused_change_writes_no_audit_event(ctx, refused):
    before = row_counts()
    with pytest.raises((AccessDenied, NotFound, ValidationError)), request_origin(**ORIGIN):
        refused(ctx)
    assert row_counts() == before


def _failing_audit(monkeypatch):
    def refuse(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(AuditEvent.objects, "create", refuse)


@pytest.mark.parametrize(
    "change",
    [
        lambda c: group_create(actor=c.owner, org=c.org, name="Crew", member_users=[c.member.pk]),
        lambda c: acl_grant(actor=c.owner, spec=spec_for(c.project, user=c.member, role="owner")),
        lambda c: member_remove(actor=c.owner, org=c.org, user=c.member),
        lambda c: project_create(actor=c.owner, org=c.org, name="Q"),
        lambda c: organization_update(actor=c.owner, org=c.org, api_url="https://x.example.com"),
    ],
    ids=["group_create", "acl_grant", "member_remove", "project_create", "organization_update"],
)
def test_change_is_undone_when_its_audit_event_cannot_be_written(ctx, monkeypatch, change):
    before = row_counts()
    _failing_audit(monkeypatch)
    with pytest.raises(RuntimeError, match="audit store unavailable"):
        change(ctx)
    monkeypatch.undo()
    assert row_counts() == before
    assert not PermissionGroup.objects.filter(name="Crew").exists()
    assert not Project.objects.filter(name="Q").exists()
    assert can(ctx.member, "read", ctx.project)


def test_reading_the_audit_log_needs_read_on_org_audit_logs():
    org = OrganizationFactory()
    log = Node("org_audit_logs", org.pk)
    engineer, viewer, auditor = add_member(org, None, "engineers"), add_member(org, None, "viewers"), add_member(org)
    grant(org, log, user=auditor, permission="read")
    assert can(owner_of(org), "read", log)
    assert can(auditor, "read", log)
    assert not can(engineer, "read", log) and not can(viewer, "read", log)
