"""A project's Configuration page: Tags, Span iframes, Human review, Aggregate scores, Online scoring and
Permissions.

Reading the page needs read on the project (a project the person sees nothing of is 404). Tags, span
iframes and scores change with update on the project; the forms and buttons show only then, and the services in
:mod:`projects.services.configuration` check it again, validate score definitions and write the audit
events. The Permissions section shows to people holding create_acls or read_acls on the project: the project's
Permissions panel (:mod:`web.views.permissions_panel`, shared with objects), with the project dialog's
boxes (``PROJECT_BOXES``), read and saved through :mod:`permissions.boxes`.

A module a feature: :mod:`~.tags`, :mod:`~.span_iframes`, :mod:`~.scores` (human review, aggregate, online scoring) and
:mod:`~.access` (permissions) each hold what their section shows; :mod:`~.views` composes the page and
holds the forms' views.
"""

from web.views.project_configuration.views import urlpatterns

__all__ = ["urlpatterns"]
