"""How a span's page embeds the project's span iframes, and which of them it sends the span to.

Every frame is sandboxed (scripts only, no referrer), so a tool page never gets this site's cookies or
address. A span iframe with ``post_message`` also receives the span itself, posted by
``static/web/span_iframes.js`` with the frame's own origin as the target, never ``"*"``. A sandboxed frame
without ``allow-same-origin`` has an opaque origin that no named target matches, so those frames keep their
own origin (``allow-same-origin``); that is safe only for a frame of another origin than the site's, which
same-origin rules keep away from the site's cookies and pages. A frame of the site's own origin is never
given it, and so never receives the span.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from projects.models import SpanIframe

SANDBOX = "allow-scripts"
SANDBOX_WITH_ORIGIN = "allow-scripts allow-same-origin"


@dataclass(frozen=True)
class EmbeddedSpanIframe:
    """A span iframe as the page embeds it: its sandbox, and the origin the span is posted to ("" for none)."""

    name: str
    description: str
    url: str
    sandbox: str
    post_to: str


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL, lower-cased, with the scheme's default port left out."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    port = f":{parts.port}" if parts.port is not None and parts.port != default else ""
    return f"{scheme}://{host}{port}"


def embedded_span_iframes(iframes: list[SpanIframe], site_url: str) -> list[EmbeddedSpanIframe]:
    """The page's frames for `iframes`, on a site served at `site_url`."""
    site = origin_of(site_url)
    embedded = []
    for iframe in iframes:
        target = origin_of(iframe.url)
        posts = iframe.post_message and target != site
        embedded.append(
            EmbeddedSpanIframe(
                name=iframe.name,
                description=iframe.description,
                url=iframe.url,
                sandbox=SANDBOX_WITH_ORIGIN if posts else SANDBOX,
                post_to=target if posts else "",
            )
        )
    return embedded
