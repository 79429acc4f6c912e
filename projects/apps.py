from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"

    def ready(self) -> None:
        from projects.events.writes import rows_written
        from projects.scoring.queue import enqueue_online_scoring

        rows_written.connect(enqueue_online_scoring, dispatch_uid="projects.online_scoring")
