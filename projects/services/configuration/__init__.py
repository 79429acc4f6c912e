"""A project's configuration: its tags and its scores, and the rules a score definition must follow.

Tags and scores are not nodes of the access hierarchy: reading them is read on their project, changing
them is update on their project. Every service here checks that, writes atomically and records one audit
event in the same transaction.

A module a feature: :mod:`~.tags` and :mod:`~.scores` hold the services, with what their writes share in
:mod:`~.writes`; :mod:`~.tag_colors` (a color a swatch can show), :mod:`~.score_definitions` (one rule per
score type, online scorers included) and :mod:`~.aggregates` (an aggregate is made of scores of its
project) hold the checks, built on the JSON shape checks of :mod:`~.checks`. The services are imported
here, so that callers name them from the package.
"""

from projects.services.configuration.scores import project_score_create, project_score_delete, project_score_update
from projects.services.configuration.tags import project_tag_create, project_tag_delete, project_tag_update

__all__ = [
    "project_score_create",
    "project_score_delete",
    "project_score_update",
    "project_tag_create",
    "project_tag_delete",
    "project_tag_update",
]
