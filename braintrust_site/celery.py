"""The Celery application, for online scoring on Celery workers when ``CELERY_BROKER_URL`` is set.

Start a worker with ``celery -A braintrust_site worker``. Without a broker the built-in worker
(``manage.py run_scoring_worker``) runs the same jobs and Celery is never used.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "braintrust_site.settings")

app = Celery("braintrust_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
