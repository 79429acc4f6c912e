"""The models registered in the admin, and rows of each made on demand for tests that open every admin page."""

from datetime import timedelta
from functools import cached_property

from django.contrib import admin
from django.utils import timezone

from accounts.models import Environment, Invitation, Membership, ServiceAccount
from accounts.services.credentials import api_key_create
from permissions.engine import Node
from permissions.models import AclGrant, AuditEvent, GroupMembershipExpiry, GroupNesting, Role, RoleNesting, RolePermission
from permissions.types import ALL_PERMISSIONS, ObjectType
from projects.events.overflow import overflow_upload_create
from projects.models import (
    Dataset,
    EnvironmentObject,
    EventFeedback,
    EventRow,
    EventTag,
    EventVersion,
    Experiment,
    ProjectScore,
    Prompt,
    PromptVersion,
    ScoringJob,
    Transaction,
)
from tests.access_helpers import custom_group, custom_role, grant
from tests.factories import (
    OBJECT_FACTORIES,
    DatasetFactory,
    DatasetSnapshotFactory,
    ExperimentFactory,
    OrganizationFactory,
    ProjectFactory,
    PromptFactory,
    ServiceAccountFactory,
    add_member,
)
from tests.factories_configuration import ProjectScoreFactory, ProjectTagFactory, SpanIframeFactory, ViewFactory

APPS = ("accounts", "permissions", "projects")
REGISTERED = sorted((m for m in admin.site._registry if m._meta.app_label in APPS), key=lambda m: m._meta.label)


class Rows:
    """Makes one more row of any registered model, in the world's organization where it has one."""

    def __init__(self, world) -> None:
        """`world`: anything with ``org``, ``project``, ``operator`` and ``member``."""
        self.world = world
        self.made = 0

    def make(self, model):
        self.made += 1
        kind = getattr(model, "acl_object_type", None)
        if kind in OBJECT_FACTORIES:
            return OBJECT_FACTORIES[kind](project=self.world.project, created_by=self.world.operator)
        return getattr(self, f"_{model._meta.model_name}")(self.made)

    @cached_property
    def role(self) -> Role:
        return custom_role(self.world.org, "Pairs")

    @cached_property
    def experiment(self) -> Experiment:
        return ExperimentFactory(project=self.world.project)

    @cached_property
    def prompt(self) -> Prompt:
        return PromptFactory(project=self.world.project)

    @cached_property
    def score(self) -> ProjectScore:
        return ProjectScoreFactory(project=self.world.project)

    def _user(self, i):
        return add_member(self.world.org)

    def _serviceaccount(self, i):
        return ServiceAccount.objects.get(pk=ServiceAccountFactory(service_account_org=self.world.org).pk)

    def _organization(self, i):
        org = OrganizationFactory()
        add_member(org, self.world.operator)  # membership makes it visible to its member
        return org

    def _membership(self, i):
        return Membership.objects.get(org=self.world.org, user=add_member(self.world.org))

    def _invitation(self, i):
        return Invitation.objects.create(
            org=self.world.org,
            email=f"invitee{i}@example.com",
            invited_by=self.world.operator,
            expires_at=timezone.now() + timedelta(days=7),
        )

    def _apikey(self, i):
        key, _ = api_key_create(actor=self.world.operator, org=self.world.org, name=f"key {i}")
        return key

    def _permissiongroup(self, i):
        return custom_group(self.world.org, self.world.member)

    def _groupnesting(self, i):
        return GroupNesting.objects.create(group=custom_group(self.world.org), member_group=custom_group(self.world.org))

    def _groupmembershipexpiry(self, i):
        member = add_member(self.world.org)
        group = custom_group(self.world.org, member)
        return GroupMembershipExpiry.objects.create(user=member, group=group, expires_at=timezone.now() + timedelta(days=i + 1))

    def _role(self, i):
        return custom_role(self.world.org, f"role {i}", pairs=[("read", "")])

    def _rolepermission(self, i):
        permission, restrict = ALL_PERMISSIONS[i % 8], ("", *ObjectType.values)[i // 8]
        return RolePermission.objects.create(role=self.role, permission=permission, restrict_object_type=restrict)

    def _rolenesting(self, i):
        return RoleNesting.objects.create(
            role=custom_role(self.world.org, f"outer {i}"), member_role=custom_role(self.world.org, f"inner {i}")
        )

    def _aclgrant(self, i):
        record = grant(self.world.org, Node("org_project", self.world.org.pk), user=add_member(self.world.org), permission="read")
        return AclGrant.objects.get(pk=record.id)

    def _auditevent(self, i):
        return AuditEvent.objects.create(
            org=self.world.org, actor=self.world.operator, action="test.event", target_type="test", origin={"channel": "test"}
        )

    def _project(self, i):
        return ProjectFactory(org=self.world.org, created_by=self.world.operator)

    def _promptversion(self, i):
        return PromptVersion.objects.create(prompt=self.prompt, xact_id=i, snapshot={"name": "v"}, created_by=self.world.operator)

    def _projecttag(self, i):
        return ProjectTagFactory(project=self.world.project, created_by=self.world.operator)

    def _projectscore(self, i):
        return ProjectScoreFactory(project=self.world.project, created_by=self.world.operator)

    def _spaniframe(self, i):
        return SpanIframeFactory(project=self.world.project, created_by=self.world.operator)

    @cached_property
    def dataset(self) -> Dataset:
        return DatasetFactory(project=self.world.project)

    def _datasetsnapshot(self, i):
        return DatasetSnapshotFactory(dataset=self.dataset, created_by=self.world.operator)

    def _environment(self, i):
        return Environment.objects.create(org=self.world.org, name=f"Environment {i}", slug=f"environment-{i}")

    def _environmentobject(self, i):
        return EnvironmentObject.objects.create(
            environment=self._environment(i), object_type="prompt", object_id=self.prompt.pk, object_version=i
        )

    def _view(self, i):
        return ViewFactory(project=self.world.project, created_by=self.world.operator)

    def _transaction(self, i):
        return Transaction.objects.create()

    def _row_fields(self, i) -> dict:
        return {
            "kind": "experiment",
            "object_id": self.experiment.pk,
            "row_id": f"row-{i}",
            "xact_id": i,
            "span_id": f"s{i}",
            "root_span_id": f"s{i}",
        }

    def _eventrow(self, i):
        return EventRow.objects.create(project=self.world.project, **self._row_fields(i))

    def _eventversion(self, i):
        return EventVersion.objects.create(first_id=i, **self._row_fields(i))

    def _eventtag(self, i):
        return EventTag.objects.create(row=self._eventrow(i), tag=f"tag-{i}")

    def _eventfeedback(self, i):
        return EventFeedback.objects.create(
            kind="experiment", object_id=self.experiment.pk, row_id=f"row-{i}", xact_id=i, comment="good", created_by=self.world.operator
        )

    def _scoringjob(self, i):
        return ScoringJob.objects.create(rule=self.score, kind="experiment", object_id=self.experiment.pk, row_id=f"row-{i}")

    def _overflowupload(self, i):
        upload, _ = overflow_upload_create(
            actor=self.world.operator, org=self.world.org, size_bytes=100 + i, content_type="application/json"
        )
        return upload
