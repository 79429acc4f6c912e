from django.apps import AppConfig


class WebConfig(AppConfig):
    """The server-rendered pages: settings, projects and access checks, for people in the browser."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "web"
