"""``POST /api/apikey/login``: how Braintrust's SDK learns, from its credential alone, where to send data.

The SDK sends its ``sk-`` API key or ``bt-st-`` service token and reads back the organizations it acts in,
each with the URLs of its API. An organization that sets no API URL ("Manage settings") is served by this
server itself, at its public base URL (``PUBLIC_URL``, else the request's own scheme and host). Membership
alone is enough to be answered (docs/access-model.md); a bad, expired or revoked credential is a JSON 401.
"""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Organization
from api.base import OrgScopedView
from api.organizations import CallerOrganizations
from api.schema import operation_schema
from braintrust_site.public_url import public_base_url

ORG_INFO_FIELDS = {
    "id": serializers.UUIDField(),
    "name": serializers.CharField(),
    "api_url": serializers.CharField(help_text="Where the SDK sends its API calls: the organization's setting, else this server"),
    "proxy_url": serializers.CharField(allow_null=True),
    "realtime_url": serializers.CharField(allow_null=True),
    "is_universal_api": serializers.BooleanField(),
    "git_metadata": serializers.JSONField(allow_null=True, help_text="Which git metadata the SDK records; null: its default"),
}


def org_info(org: Organization, server_url: str) -> dict:
    return {
        "id": str(org.pk),
        "name": org.name,
        "api_url": org.api_url or server_url,
        "proxy_url": org.proxy_url or None,
        "realtime_url": org.realtime_url or None,
        "is_universal_api": False,
        "git_metadata": None,
    }


class ApiKeyLoginView(CallerOrganizations, OrgScopedView):
    """The organizations the credential acts in: an API key's or service token's own one."""

    @operation_schema(
        "postApiKeyLogin",
        tag="SDK",
        summary="Log in with an API key or service token",
        answer=inline_serializer("ApiKeyLoginResponse", {"org_info": inline_serializer("OrgInfo", ORG_INFO_FIELDS, many=True)}),
        errors=(401,),
        description="The organizations the credential acts in, with the URLs the SDK sends data to. Membership is enough.",
        request=None,
    )
    def post(self, request: Request) -> Response:
        server_url = public_base_url(request)
        orgs = self.visible_queryset().order_by("name")
        return Response({"org_info": [org_info(org, server_url) for org in orgs]})
