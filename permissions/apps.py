from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PermissionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "permissions"

    def ready(self) -> None:
        from permissions.permission_rows import forget_permission_rows
        from permissions.services.roles import ensure_system_roles

        # After every migrate (and every test-database flush), like Django's own permission rows.
        post_migrate.connect(ensure_system_roles, sender=self, dispatch_uid="permissions.ensure_system_roles")
        post_migrate.connect(forget_permission_rows, dispatch_uid="permissions.forget_permission_rows")
