"""Requests whose path or parameters hold a NUL character are refused before any view runs.

PostgreSQL can neither store nor compare a NUL in text, so a lookup by such a name or filter would fail
there while SQLite answers it: refusing it here makes both databases answer the same 400, naming the
parameter. (JSON bodies are checked by :mod:`api.json_bodies`; Django already decodes query strings and
forms so that no lone surrogate reaches a view.)
"""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from braintrust_site.errors import is_api_path

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _nul_parameter(request: HttpRequest) -> str | None:
    """Where the request carries a NUL: "the path", or the name of the first parameter that does."""
    if "\x00" in request.path:
        return "the path"
    parameters = [request.GET]
    if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
        parameters.append(request.POST)
    for query in parameters:
        for name, values in query.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return name.replace("\x00", "\\u0000")
    return None


class RefuseNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _nul_parameter(request)
        if where is None:
            return self.get_response(request)
        message = f"{where}: contains a NUL character, which cannot be stored or searched for."
        if is_api_path(request.path):
            return JsonResponse({"error": {"status": 400, "message": message}}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
