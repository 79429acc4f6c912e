"""The site's own answers when a request goes wrong outside a view's control (``handler400`` ... ``handler500``).

API clients (paths of the ``/v1`` API and of Braintrust's SDK) get the API's JSON error shape; people get
a page of the site. The 500 page is plain: it must render even when what failed is the database or the
template context.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

API_PATH_PREFIXES = ("/v1", "/api/", "/logs3", "/version", "/ping", "/experiment-comparison2")

MESSAGES = {
    400: "Bad request.",
    403: "You do not have access to this.",
    404: "Not found.",
    500: "Something went wrong on our side. It has been logged; try again in a moment.",
}


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATH_PREFIXES)


def error_answer(request: HttpRequest, status: int, message: str | None = None) -> HttpResponse:
    message = message or MESSAGES[status]
    if is_api_path(request.path):
        return JsonResponse({"error": {"status": status, "message": message}}, status=status)
    page = loader.get_template(f"{status}.html").render({"message": message, "status": status})
    return HttpResponse(page, status=status)


def bad_request(request, exception=None):
    return error_answer(request, 400)


def permission_denied(request, exception=None):
    return error_answer(request, 403)


def page_not_found(request, exception=None):
    return error_answer(request, 404)


def server_error(request):
    return error_answer(request, 500)
