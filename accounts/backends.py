"""Password login by email, for people only."""

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Django's model backend, refusing service accounts: they authenticate with service tokens only."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_service_account", False)

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        # Global Django permissions (for the admin) only; object permissions are the engine's.
        return obj is None and super().has_perm(user_obj, perm, obj)
