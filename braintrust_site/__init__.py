"""The Django project. The Celery application is loaded with it, so that ``shared_task`` tasks bind to it."""

from braintrust_site.celery import app as celery_app

__all__ = ["celery_app"]
