"""ASGI entry point for asynchronous servers (uvicorn, daphne)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "braintrust_site.settings")

application = get_asgi_application()
