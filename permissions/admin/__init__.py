"""The Django admin of permission groups, roles, grants and the audit log, and the bases of every admin.

The admin is an operator tool (active ``is_staff`` users, superusers included), not a way around the
access model:

* every write is handed to the service that makes it everywhere else, with the logged-in operator as
  the actor, so the engine checks it and the audit log records it (origin channel ``admin``); a refusal
  is shown as an error message, and nothing of the refused change is kept;
* history and derived rows (audit events, nesting rows, role pairs, data rows, ...) are read-only;
* guardian's object-permission pages are kept (``GuardedModelAdmin``), but they read the grant store the
  API reads and write through the grant service, so a grant made here is the row ``GET /v1/acl`` lists.

The package: :mod:`~permissions.admin.bases` (the bases every app's admin builds on),
:mod:`~permissions.admin.object_grants` (guardian's object-permission pages) and
:mod:`~permissions.admin.model_admins` (this app's registered admins).
"""

from permissions.admin import model_admins  # noqa: F401 (registers this app's admins)
