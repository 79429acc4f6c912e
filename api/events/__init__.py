"""The rows of experiments, datasets and project logs: ``/insert``, ``/fetch``, ``/feedback`` and ``/summarize``.

The views are thin: they find the object the path names, let :class:`permissions.drf.EngineAccess` decide
(docs/access-model.md, data inside objects: fetching and summarizing need read on the object, inserting and
feedback need update; for logs the node is the project's ``project_log``), check the body's outer shape,
and hand the rest to the data plane (:mod:`projects.events`), which validates every event, checks access
again as it writes, and answers in Braintrust's shapes.

The package: :mod:`~api.events.serializers` (the shapes), :mod:`~api.events.schema` (the OpenAPI
description) and :mod:`~api.events.views` (the views and their routes).
"""

from api.events.views import urlpatterns

__all__ = ["urlpatterns"]
