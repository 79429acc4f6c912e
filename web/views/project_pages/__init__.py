"""A project's pages: the tabs Logs, Experiments, Datasets, Prompts and Playgrounds, each object's page with
its rows and human review, and each object's "Permissions" dialog.

A project exists for someone who sees something in it: a permission on the project, on its logs, or read
on one of its objects; anyone else gets the same 404 as a missing project. Every tab lists only what the
person may read, through the selectors of ``projects.selectors``, filtered in the database by the engine,
at a fixed number of queries. Buttons come from the flags of ``web.flags`` for the node they act on
(create for Create, update for human review, read_acls or create_acls for Permissions); the services
check everything again.

A module a concern: :mod:`~.kinds` (the kinds of object and the pages' addresses), :mod:`~.layout` (the
project layout and ``ProjectPage``), :mod:`~.rows` (the rows of experiments, datasets and logs),
:mod:`~.objects_tab` and :mod:`~.logs_tab` (the tabs), :mod:`~.object_page` (what an object's pages share),
:mod:`~.object_detail` (an experiment's or dataset's page), :mod:`~.object_permissions` (its Permissions)
and :mod:`~.urls` (the routes).
"""

from web.views.project_pages.urls import urlpatterns

__all__ = ["urlpatterns"]
