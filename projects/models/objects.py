"""Projects and the objects they contain: experiments, datasets, prompts and functions, playgrounds.

Each model declares its place in the access hierarchy with two class attributes that the engine reads:
``acl_object_type`` (its AclObjectType) and ``acl_parent_field`` (the foreign key to the model whose id
names its parent node). Deletion is soft (``deleted_at``): grants and contents stay stored.
"""

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from permissions.grant_tables import grant_tables
from permissions.models import NamedRecord
from permissions.types import model_permissions


class SoftDeleteQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)


class ProjectObjectQuerySet(SoftDeleteQuerySet):
    def live_in(self, org):
        """The live objects of the live projects of `org` (an organization or its id): what a path or a body
        sent to that organization may name. An object of a deleted project is gone with it."""
        return self.alive().filter(project__org=org, project__deleted_at__isnull=True)


class Project(NamedRecord):
    """A project of an organization: it holds logs, experiments, datasets, prompts and playgrounds."""

    acl_object_type = "project"
    acl_parent_field = "org"

    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="projects", verbose_name="organization")
    description = models.TextField(blank=True)
    settings = models.JSONField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, verbose_name="deleted")

    objects = SoftDeleteQuerySet.as_manager()

    class Meta(NamedRecord.Meta):
        permissions = model_permissions("project")
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], condition=Q(deleted_at__isnull=True), name="project_name_unique_in_org"),
        ]


class ProjectObject(NamedRecord):
    """What every object inside a project has: a name, a description, a creator and soft deletion."""

    acl_parent_field = "project"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="%(class)ss")
    description = models.TextField(blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, verbose_name="deleted")

    objects = ProjectObjectQuerySet.as_manager()

    class Meta(NamedRecord.Meta):
        abstract = True


def _unique_name_in_project(model_name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["project", "name"], condition=Q(deleted_at__isnull=True), name=f"{model_name}_name_unique_in_project"
    )


class Experiment(ProjectObject):
    """An evaluation run in a project.

    It may be linked to a dataset (and the dataset version it ran against) and to a base experiment to
    compare with; either may live in another project of the same organization, if whoever links it can
    read it (docs/access-model.md, references across projects).
    """

    acl_object_type = "experiment"

    dataset = models.ForeignKey("projects.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dataset_version = models.CharField(max_length=40, null=True, blank=True)
    base_exp = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="base experiment")
    public = models.BooleanField(default=False)
    metadata = models.JSONField(null=True, blank=True)
    tags = models.JSONField(null=True, blank=True)
    repo_info = models.JSONField(null=True, blank=True, verbose_name="repository info")

    class Meta(ProjectObject.Meta):
        permissions = model_permissions("experiment")
        constraints = [_unique_name_in_project("experiment")]


class Dataset(ProjectObject):
    """A versioned collection of test cases in a project."""

    acl_object_type = "dataset"

    metadata = models.JSONField(null=True, blank=True)
    tags = models.JSONField(null=True, blank=True)

    class Meta(ProjectObject.Meta):
        permissions = model_permissions("dataset")
        constraints = [_unique_name_in_project("dataset")]


class Prompt(ProjectObject):
    """A prompt or a function (scorer, task, tool), addressed by its slug within the project.

    Every change is kept as a :class:`PromptVersion`; ``xact_id`` is the current one's.
    """

    acl_object_type = "prompt"

    class FunctionType(models.TextChoices):
        LLM = "llm"
        SCORER = "scorer"
        TASK = "task"
        TOOL = "tool"

    slug = models.SlugField(max_length=255)
    function_type = models.CharField(max_length=20, choices=FunctionType.choices, null=True, blank=True)
    is_function = models.BooleanField(default=False, verbose_name="function", help_text="Made through /v1/function (it has function_data)")
    prompt_data = models.JSONField(null=True, blank=True)
    function_data = models.JSONField(null=True, blank=True)
    function_schema = models.JSONField(null=True, blank=True)
    origin = models.JSONField(null=True, blank=True)
    tags = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    xact_id = models.BigIntegerField(
        null=True, blank=True, verbose_name="transaction ID", help_text="The transaction of the current version"
    )

    class Meta(ProjectObject.Meta):
        permissions = model_permissions("prompt")
        constraints = [
            models.UniqueConstraint(fields=["project", "slug"], condition=Q(deleted_at__isnull=True), name="prompt_slug_unique_in_project"),
        ]


class PromptSession(ProjectObject):
    """A playground: a place to try prompts side by side (``prompt_session`` in the access model).

    The prompts it uses, and the dataset it tries them on, may be of other projects of the organization, if
    whoever adds them can read them.
    """

    acl_object_type = "prompt_session"

    prompts = models.ManyToManyField(Prompt, blank=True, related_name="playgrounds")
    dataset = models.ForeignKey(
        "projects.Dataset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The dataset whose rows the playground tries its prompts on; it may be of another project of the organization",
    )

    class Meta(ProjectObject.Meta):
        verbose_name = "playground"
        permissions = model_permissions("prompt_session")
        constraints = [_unique_name_in_project("prompt_session")]


class PromptVersion(models.Model):
    """One saved state of a prompt or function: every change is kept and can be fetched again."""

    id = models.BigAutoField(primary_key=True, verbose_name="ID")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="versions")
    xact_id = models.BigIntegerField(verbose_name="transaction ID")
    snapshot = models.JSONField(help_text="The prompt's fields as they were at this version")
    created_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["prompt", "xact_id"], name="prompt_version_unique")]

    def __str__(self) -> str:
        return f"{self.prompt_id}@{self.xact_id}"


ProjectUserObjectPermission, ProjectGroupObjectPermission = grant_tables(Project)
ExperimentUserObjectPermission, ExperimentGroupObjectPermission = grant_tables(Experiment)
DatasetUserObjectPermission, DatasetGroupObjectPermission = grant_tables(Dataset)
PromptUserObjectPermission, PromptGroupObjectPermission = grant_tables(Prompt)
PromptSessionUserObjectPermission, PromptSessionGroupObjectPermission = grant_tables(PromptSession)
