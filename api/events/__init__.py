"""The rows of experiments, datasets and project logs: ``/insert``, ``/fetch``, ``/feedback`` and ``/summarize``.

The views are thin: they find the object the path names, let :class:`permissions.drf.EngineAccess` decide
(docs/access-model.md, data inside objects: fetching and summarizing need read on the object, inserting and
feedback need update; for logs the node is the project's ``project_log``), check the body's outer shape,
and hand the rest to the data plane (:mod:`projects.events`), which validates every event, checks access
again as it writes, and answers in Braintrust's shapes.

``POST /v1/insert`` writes into many objects at once through the same writes: its body is parsed by
:mod:`~api.events.cross_object_body`, its view is :mod:`~api.events.cross_object`.

The package: :mod:`~api.events.serializers` (the shapes), :mod:`~api.events.schema` (the OpenAPI
description) and :mod:`~api.events.views` (the views and their routes).
"""

from api.events import cross_object, views

urlpatterns = [*views.urlpatterns, *cross_object.urlpatterns]

__all__ = ["urlpatterns"]
