"""Who can reach an exposure: classify source sets and bind addresses with ``ipaddress``.

Scopes, widest first: ``internet``, ``restricted-public``, ``private``, ``local``;
``unknown`` when a source could not be resolved.

A source set counts as the internet when it says so (``0.0.0.0/0``, ``::/0``, ``*``,
``any``, ``Internet``) or when its public networks together cover at least
``INTERNET_SHARE`` of the IPv4 space or of IPv6 global unicast space, so
``0.0.0.0/1`` + ``128.0.0.0/1`` is the internet too.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Iterable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Share of the address space above which a source set is treated as the internet (a /4).
INTERNET_SHARE = 1 / 16

#: Words that mean "everyone", compared case-insensitively.
INTERNET_WORDS = frozenset({"*", "any", "all", "internet", "anywhere", "0.0.0.0/0", "::/0",
                            "azurecloud"})  # every Azure customer's address: anyone can rent one

#: Cloud tags and words that mean "inside the private network".
PRIVATE_WORDS = frozenset({
    "virtualnetwork", "azureloadbalancer", "vnet", "private", "intranet", "container-network",
})

LOCAL_WORDS = frozenset({"localhost", "loopback"})

_PRIVATE_NETS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",   # RFC 1918
    "100.64.0.0/10",                                  # RFC 6598 carrier-grade NAT
    "169.254.0.0/16",                                 # link-local
    "fc00::/7",                                       # unique local (ULA)
    "fe80::/10",                                      # link-local
))
_LOCAL_NETS = tuple(ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128"))
_GLOBAL_V6 = ipaddress.ip_network("2000::/3")

_RANK = {"internet": 4, "restricted-public": 3, "private": 2, "local": 1}


@lru_cache(maxsize=4096)
def parse_network(text: str) -> IPNetwork | None:
    """A CIDR or address as a network, or None when it is not one."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    if text.endswith("/0") and len(text) < 48:
        # "/0" or "junk/0": whatever the address, a zero-length prefix is every address
        return ipaddress.ip_network("::/0" if ":" in text else "0.0.0.0/0")
    return None


def network_scope(net: IPNetwork) -> str:
    """Scope of a single network (without coverage arithmetic)."""
    mapped = getattr(net.network_address, "ipv4_mapped", None)
    if mapped is not None and net.prefixlen >= 96:  # ::ffff:10.0.0.1 is 10.0.0.1
        net = ipaddress.ip_network(f"{mapped}/{net.prefixlen - 96}")
    if any(net.subnet_of(n) for n in _LOCAL_NETS if n.version == net.version):
        return "local"
    if any(net.subnet_of(n) for n in _PRIVATE_NETS if n.version == net.version):
        return "private"
    if net.prefixlen == 0:
        return "internet"
    return "restricted-public"


def _public_share(nets: Iterable[IPNetwork], version: int) -> float:
    collapsed = list(ipaddress.collapse_addresses(n for n in nets if n.version == version))
    if version == 4:
        return sum(n.num_addresses for n in collapsed) / 2**32
    covered = 0
    for n in collapsed:
        if n.overlaps(_GLOBAL_V6):
            covered += n.num_addresses if n.subnet_of(_GLOBAL_V6) else _GLOBAL_V6.num_addresses
    return covered / _GLOBAL_V6.num_addresses


def public_share(sources: Iterable[str], version: int) -> float:
    """Share of the IPv4 space (or IPv6 global unicast space) that the public sources cover."""
    nets = []
    for source in sources:
        net = parse_network(str(source))
        if net is not None and network_scope(net) in ("restricted-public", "internet"):
            nets.append(net)
    return _public_share(nets, version)


def classify_sources(sources: Iterable[str], unresolved: bool = False) -> str:
    """Scope of a set of sources (CIDRs, addresses, tags) that may reach an exposure.

    ``unresolved`` says some sources could not be resolved: the result is then
    ``unknown`` unless what is known already reaches the internet.
    """
    widest = 0
    public: list[IPNetwork] = []
    for raw in sources:
        word = str(raw).strip()
        lowered = word.lower()
        if lowered in INTERNET_WORDS:
            return "internet"
        net = parse_network(word)
        if net is None:
            if lowered in PRIVATE_WORDS:
                widest = max(widest, _RANK["private"])
            elif lowered in LOCAL_WORDS:
                widest = max(widest, _RANK["local"])
            else:
                unresolved = True
            continue
        if net.network_address.is_unspecified and net.prefixlen == net.max_prefixlen:
            return "internet"  # a source of 0.0.0.0 or :: is always meant as "any"
        scope = network_scope(net)
        if scope == "internet":
            return "internet"
        if scope == "restricted-public":
            public.append(net)
        widest = max(widest, _RANK[scope])
    if public and (_public_share(public, 4) >= INTERNET_SHARE or _public_share(public, 6) >= INTERNET_SHARE):
        return "internet"
    if unresolved:
        return "unknown"
    for name, rank in _RANK.items():
        if rank == widest:
            return name
    return "unknown"


def is_internet_literal(source: str) -> bool:
    """True for the words and CIDRs that say "everyone" outright."""
    word = source.strip().lower()
    if word in INTERNET_WORDS:
        return True
    net = parse_network(word)
    return net is not None and net.prefixlen == 0


def classify_bind(address: str) -> str:
    """Scope of a host bind address (Compose ``host_ip``): who can connect to it.

    ``0.0.0.0`` and ``::`` listen on every interface, and a specific public
    address is reachable by anyone who can route to it, so both are ``internet``.
    """
    net = parse_network(address)
    if net is None:
        return "local" if address.strip().lower() in LOCAL_WORDS else "unknown"
    if net.network_address.is_unspecified:
        return "internet"
    scope = network_scope(net)
    return "internet" if scope == "restricted-public" else scope
