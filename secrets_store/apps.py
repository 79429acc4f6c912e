from django.apps import AppConfig


class SecretsStoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "secrets_store"
    verbose_name = "Secrets"
