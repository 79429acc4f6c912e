"""The projects app's models: projects and their objects, configuration (tags, scores, span
iframes), data rows and dataset snapshots, saved views, scoring jobs and logs3 overflow uploads."""

from projects.models.configuration import ProjectScore, ProjectTag
from projects.models.environments import EnvironmentObject
from projects.models.events import EventFeedback, EventRow, EventTag, EventVersion, ObjectKind, Transaction
from projects.models.objects import (
    Dataset,
    DatasetGroupObjectPermission,
    DatasetUserObjectPermission,
    Experiment,
    ExperimentGroupObjectPermission,
    ExperimentUserObjectPermission,
    Project,
    ProjectGroupObjectPermission,
    ProjectObject,
    ProjectUserObjectPermission,
    Prompt,
    PromptGroupObjectPermission,
    PromptSession,
    PromptSessionGroupObjectPermission,
    PromptSessionUserObjectPermission,
    PromptUserObjectPermission,
    PromptVersion,
    SoftDeleteQuerySet,
)
from projects.models.scoring import ScoringJob
from projects.models.snapshots import DatasetSnapshot
from projects.models.span_iframes import SpanIframe
from projects.models.uploads import OverflowUpload
from projects.models.views import View, ViewType

__all__ = [
    "Dataset",
    "DatasetGroupObjectPermission",
    "DatasetSnapshot",
    "DatasetUserObjectPermission",
    "EnvironmentObject",
    "EventFeedback",
    "EventRow",
    "EventTag",
    "EventVersion",
    "Experiment",
    "ExperimentGroupObjectPermission",
    "ExperimentUserObjectPermission",
    "ObjectKind",
    "OverflowUpload",
    "Project",
    "ProjectGroupObjectPermission",
    "ProjectObject",
    "ProjectScore",
    "ProjectTag",
    "ProjectUserObjectPermission",
    "Prompt",
    "PromptGroupObjectPermission",
    "PromptSession",
    "PromptSessionGroupObjectPermission",
    "PromptSessionUserObjectPermission",
    "PromptUserObjectPermission",
    "PromptVersion",
    "ScoringJob",
    "SoftDeleteQuerySet",
    "SpanIframe",
    "Transaction",
    "View",
    "ViewType",
]
