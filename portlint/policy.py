"""Effective exposure of ordered rule sets: NACLs, NSG and GCP priorities, firewall files.

Within one policy (``Exposure.policy``) and direction, rules are evaluated as
the firewall does: lowest priority number first, file order breaking ties.
(Parsers encode their format's own tie rules in the priority: GCP puts a deny
before an allow of the same priority.) An allow that an
earlier deny covers completely exposes nothing; a partial cover narrows the
allow's ports (when the deny covers all its sources) or its sources (when the
deny covers all its ports). An allow of every protocol that a deny of one
protocol with ports (tcp, udp, sctp) narrows is split per protocol first: what
remains is that protocol's other ports, every port of the other two, and the
protocols without ports (``other``: ICMP, GRE, ESP ...), so nothing calls it
"every port of every protocol" any more. Exposures without a policy pass
through untouched.

Network ACLs are stateless, so they must let return traffic in: an allow of
every port or of a high ephemeral range (``1024-65535``, ``32768-65535`` ...)
there is marked ``second-layer`` (before it is narrowed, so every part keeps
it); rule ``PL107`` judges those, and the internet rules leave them alone.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from functools import lru_cache

from portlint import limits

from portlint.model import Exposure, InputError, PortRange
from portlint.protocols import ALL_PORTS
from portlint.netscope import INTERNET_WORDS, classify_sources, parse_network

_EVERYONE = ("0.0.0.0/0", "::/0")
#: Words for everyone (the CIDR spellings parse as networks and keep their own family).
_EVERYONE_WORDS = INTERNET_WORDS - {"0.0.0.0/0", "::/0"}


@dataclass(frozen=True, slots=True)
class Shadowed:
    """An allow rule that exposes nothing because ``by`` (a deny) comes first and covers it."""

    exposure: Exposure
    by: Exposure


def _networks(sources) -> tuple[tuple, frozenset[str]]:
    """Split sources into IP networks and opaque words (tags, references); parsed once per sources."""
    return _parsed_networks(tuple(sources))


@lru_cache(maxsize=65536)
def _parsed_networks(sources: tuple[str, ...]) -> tuple[tuple, frozenset[str]]:
    nets, words = [], set()
    for source in sources:
        word = source.strip()
        if word.lower() in _EVERYONE_WORDS:
            nets.extend(ipaddress.ip_network(n) for n in _EVERYONE)
            continue
        net = parse_network(word)
        if net is None:
            words.add(word)
        else:
            nets.append(net)
    return tuple(nets), frozenset(words)


#: protocols with ports; an allow of ``all`` is these plus ``other`` (every protocol without ports)
_WITH_PORTS = ("tcp", "udp", "sctp")
#: the protocols without ports that remain of an ``all`` allow once it is split
OTHER = "other"


def _protocol_covers(deny: str, allow: str) -> bool:
    return deny == "all" or deny == allow


def _split_all(allow: Exposure, deny: Exposure) -> list[Exposure] | None:
    """``allow`` (of every protocol) less ``deny`` (of one protocol with ports), per protocol;
    None when the deny takes nothing from it."""
    part = replace(allow, protocol=deny.protocol)  # Azure's "*" keeps its port range per protocol
    narrowed = _narrow(part, deny)
    if narrowed is None:
        return None
    # Azure's "*" is Tcp, Udp, Icmp, Esp and Ah, Alibaba's "all" tcp, udp, icmp and gre: no SCTP there
    protocols = ("tcp", "udp") if allow.policy.startswith(("nsg:", "alisg:")) else _WITH_PORTS
    rest = [replace(allow, protocol=p) for p in protocols if p != deny.protocol]
    rest.append(replace(allow, protocol=OTHER, port_range=ALL_PORTS, traits=allow.traits | {"other-protocols"}))
    return narrowed + rest


def _spans(sources) -> tuple[tuple[int, int, int, str], ...]:
    """The networks of ``sources`` as (version, first address, last address, text): compared as numbers."""
    return _parsed_spans(tuple(sources))


@lru_cache(maxsize=65536)
def _parsed_spans(sources: tuple[str, ...]) -> tuple[tuple[int, int, int, str], ...]:
    return tuple((n.version, int(n.network_address), int(n.broadcast_address), str(n))
                 for n in _networks(sources)[0])


def _sources_covered(allow: Exposure, deny: Exposure) -> bool:
    allow_words = _networks(allow.sources)[1]
    deny_nets, deny_words = _networks(deny.sources)
    everyone = any(n.prefixlen == 0 for n in deny_nets)
    if allow_words and not (everyone or allow_words <= deny_words):
        return False
    deny_spans = _spans(deny.sources)
    return all(any(version == v and first <= low and high <= last for v, first, last, _ in deny_spans)
               for version, low, high, _ in _spans(allow.sources))


def _subtract_sources(allow: Exposure, deny: Exposure) -> tuple[str, ...] | None:
    """Allow sources minus deny sources, or None when they cannot be subtracted exactly."""
    allow_nets, allow_words = _networks(allow.sources)
    deny_nets, deny_words = _networks(deny.sources)
    if allow_words - deny_words and deny_words:
        return None
    remaining: list = []
    deny_spans = _spans(deny.sources)
    for net, (version, low, high, text) in zip(allow_nets, _spans(allow.sources)):
        if not any(version == v and first <= high and low <= last for v, first, last, _ in deny_spans):
            remaining.append(text)  # no deny network touches it: it stays whole
            continue
        pieces = [net]
        for d in deny_nets:
            next_pieces = []
            for piece in pieces:
                if piece.version != d.version or not piece.overlaps(d):
                    next_pieces.append(piece)
                elif piece.subnet_of(d):
                    continue
                else:
                    next_pieces.extend(piece.address_exclude(d))
            pieces = next_pieces
            if len(pieces) > 256:  # keep the result readable; stay conservative
                return None
        remaining.extend(ipaddress.collapse_addresses(pieces) if pieces else [])
    words = sorted(allow_words - deny_words)
    return tuple(str(n) for n in remaining) + tuple(words)


def _subtract_ports(ports: PortRange, deny: PortRange) -> list[PortRange]:
    out = []
    if deny.start > ports.start:
        out.append(PortRange(ports.start, min(ports.end, deny.start - 1)))
    if deny.end < ports.end:
        out.append(PortRange(max(ports.start, deny.end + 1), ports.end))
    return out


def _narrow(allow: Exposure, deny: Exposure) -> list[Exposure] | None:
    """The parts of ``allow`` that ``deny`` leaves; None when it does not apply at all."""
    if allow.protocol == "all" and deny.protocol in _WITH_PORTS:
        return _split_all(allow, deny)
    if not _protocol_covers(deny.protocol, allow.protocol) or not deny.port_range.overlaps(allow.port_range):
        return None
    if "unresolved-port" in deny.traits or deny.unresolved:
        return None  # a deny we cannot read is not trusted to hide anything
    if _sources_covered(allow, deny):
        return [replace(allow, port_range=r) for r in _subtract_ports(allow.port_range, deny.port_range)]
    if deny.port_range.contains(allow.port_range):
        remaining = _subtract_sources(allow, deny)
        if remaining is None or tuple(remaining) == tuple(allow.sources):
            return None
        if not remaining:
            return []
        return [replace(allow, sources=remaining, scope=classify_sources(remaining, bool(allow.unresolved)))]
    return None


#: policies of stateless network ACLs (Terraform and CloudFormation)
STATELESS_POLICIES = ("nacl:", "cfn-nacl:")
#: a range starting here or above and reaching EPHEMERAL_TOP is a return-traffic range
EPHEMERAL_START, EPHEMERAL_TOP = 1024, 60999


def is_second_layer(exposure: Exposure) -> bool:
    """An allow on a stateless ACL of every port, or of a high (ephemeral) range."""
    if exposure.action != "allow" or not exposure.policy.startswith(STATELESS_POLICIES):
        return False
    ports = exposure.port_range
    if exposure.protocol == "all" or ports == ALL_PORTS:
        return True
    return exposure.protocol in _WITH_PORTS and ports.start >= EPHEMERAL_START and ports.end >= EPHEMERAL_TOP


class _DenyIndex:
    """The denies seen so far, found by port interval: a segment tree over ports 0-65535.

    An allow is compared only with the denies that can take something from it (an
    overlapping port range, a protocol that covers it), in rule order; comparing every allow
    with every earlier deny made a file of thousands of rules quadratic.
    """

    _SIZE = 65536

    def __init__(self) -> None:
        self.denies: list[Exposure] = []
        self._full: dict[int, list[int]] = {}  # tree node -> denies covering its whole range
        self._inside: dict[int, list[int]] = {}  # tree node -> denies touching part of its subtree
        self._every_protocol: list[int] = []  # denies of protocol "all" (or "other"): they reach "other" parts

    def add(self, deny: Exposure) -> None:
        number = len(self.denies)
        self.denies.append(deny)
        if deny.protocol in ("all", OTHER):
            self._every_protocol.append(number)
        for node in self._nodes(deny.port_range):
            self._full.setdefault(node, []).append(number)
            node >>= 1
            while node:
                below = self._inside.setdefault(node, [])
                if below and below[-1] == number:
                    break  # this node and those above it hold it already
                below.append(number)
                node >>= 1

    def candidates(self, allow: Exposure) -> list[Exposure]:
        """The earlier denies, in order, that may narrow ``allow`` or a part split from it."""
        found: set[int] = set()
        for node in self._nodes(allow.port_range):
            found.update(self._full.get(node, ()))
            found.update(self._inside.get(node, ()))
            node >>= 1
            while node:
                found.update(self._full.get(node, ()))
                node >>= 1
        if allow.protocol == "all":
            found.update(self._every_protocol)  # the "other" part of a split covers every port
        else:
            found = {n for n in found if _protocol_covers(self.denies[n].protocol, allow.protocol)}
        return [self.denies[n] for n in sorted(found)]

    @classmethod
    def _nodes(cls, ports: PortRange) -> list[int]:
        low, high = ports.start + cls._SIZE, ports.end + 1 + cls._SIZE
        nodes = []
        while low < high:
            if low & 1:
                nodes.append(low)
                low += 1
            if high & 1:
                high -= 1
                nodes.append(high)
            low >>= 1
            high >>= 1
        return nodes


def evaluate_policies(exposures: list[Exposure], errors: list[InputError] | None = None,
                      ) -> tuple[list[Exposure], list[Shadowed]]:
    """Effective exposures (in input order) and the allows that earlier denies hide.

    Comparing allows with the earlier denies that overlap them is bounded by
    ``limits.POLICY_COMPARISONS`` per rule set; past it, the set's remaining allows are kept
    whole (reported as written, never hidden) and an input error goes to ``errors``.
    """
    groups: dict[tuple[str, str], list[tuple[int, Exposure]]] = {}
    passthrough: list[tuple[int, Exposure]] = []
    for index, exposure in enumerate(exposures):
        if exposure.policy and is_second_layer(exposure):
            exposure = replace(exposure, traits=exposure.traits | {"second-layer"})
        if exposure.policy:
            groups.setdefault((exposure.policy, exposure.direction), []).append((index, exposure))
        else:
            passthrough.append((index, exposure))
    result = list(passthrough)
    shadowed: list[Shadowed] = []
    for members in groups.values():
        ordered = sorted(members, key=lambda item: (item[1].priority, item[0]))
        denies = _DenyIndex()
        budget = limits.POLICY_COMPARISONS
        for index, exposure in ordered:
            if exposure.action == "deny":
                denies.add(exposure)
                result.append((index, exposure))
                continue
            parts = [exposure]
            candidates = denies.candidates(exposure) if budget >= 0 else []
            for deny in candidates:
                budget -= len(parts)
                if budget < 0:
                    parts = [exposure]  # not narrowed at all: reported as written
                    if errors is not None:
                        exc = limits.LimitExceeded(
                            "comparisons of allow rules with the deny rules before them in one rule set",
                            limits.POLICY_COMPARISONS, "POLICY_COMPARISONS")
                        errors.append(InputError(exposure.location.file, exposure.location.line,
                                                 f"{exc.message}; this and the later allow rules of "
                                                 f"{exposure.policy} are reported without their denies"))
                    break
                next_parts: list[Exposure] = []
                for part in parts:
                    narrowed = _narrow(part, deny)
                    next_parts.extend([part] if narrowed is None else narrowed)
                if not next_parts and parts:
                    shadowed.append(Shadowed(exposure, deny))
                parts = next_parts
                if not parts:
                    break
            result.extend((index, part) for part in parts)
    result.sort(key=lambda item: item[0])
    return [exposure for _, exposure in result], shadowed
