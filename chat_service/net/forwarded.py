"""Who is on the other end, behind trusted reverse proxies: forwarded headers (`Forwarded`,
RFC 7239, or `X-Forwarded-*`) are believed only from a peer in `server.trusted_proxies`,
from anyone else they are ignored. Used for the server's own origin (ws/origin.py) and for
the client address that requests without a valid token are counted by (http/middleware.py)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

Networks = Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]
IPV6_CLIENT_PREFIX = 64  # one IPv6 client holds a /64: counted as one address


def address_key(address: str) -> str:
    """An IPv4 address as is; an IPv6 one as its /64 (a client gets a whole /64)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False))
    return str(parsed)


def is_trusted(address: str, trusted: Networks) -> bool:
    """Whether `address` is one of the trusted proxies (a Unix socket or an unknown
    transport never is)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted)


def client_address(request: web.Request, trusted: Networks) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
    address in `Forwarded` / `X-Forwarded-For` that is not itself a trusted proxy."""
    trusted = tuple(trusted)
    peer = request.remote or ""
    if not is_trusted(peer, trusted):
        return peer
    if request.forwarded:
        hops = [str(hop.get("for") or "") for hop in request.forwarded]
    else:
        header = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = hop.strip('"').removeprefix("[").split("]")[0]
        if address.count(":") == 1:  # IPv4 with a port
            address = address.split(":")[0]
        if not is_trusted(address, trusted):
            return address
    return peer
