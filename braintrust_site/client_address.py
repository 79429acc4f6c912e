"""The address a request comes from, for throttles and the audit log.

``REMOTE_ADDR`` is the peer that opened the connection. Behind a load balancer or reverse proxy that is the
proxy, shared by every client, so the client's own address is taken from ``X-Forwarded-For``, but only
from proxies listed in ``TRUSTED_PROXIES``: anyone can send that header, and honouring it from an untrusted
peer would let a client pick its own address. The header is read from the right, skipping trusted hops,
so a client cannot hide behind addresses it prepends itself.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def trusted_proxy_networks() -> tuple[Network, ...]:
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The client's address: the peer's, or the nearest untrusted hop a trusted proxy reports."""
    peer = request.META.get("REMOTE_ADDR", "")
    networks = trusted_proxy_networks()
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop
    return hops[0] if hops else peer
