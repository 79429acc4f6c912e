"""``GET /v1``: answers without credentials, as Braintrust's does."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def index(request):
    return HttpResponse("Hello, World!", content_type="text/plain")
