"""Accepted exposures: deliberate exceptions listed in the configuration.

    accept:
      - file: infra/bastion/*.tf
        ports: 22
        sources: [198.51.100.0/24]
        reason: the bastion takes SSH from the office only
        expires: "2027-06-30"
      - resource: dns-public
        ports: 53
        protocol: udp
        reason: public authoritative DNS server

An entry matches a finding when every key it gives matches: ``file`` (a
gitignore-style pattern, relative to the configuration file's folder),
``resource`` (shell-style wildcards), ``rules`` (codes or names), ``ports``
(the exposure's ports lie within one of them, published or service ports),
``protocol`` (``any`` matches every protocol) and ``sources`` (every source of
the exposure lies within one of the listed CIDRs; ``any`` matches every
source). A ``reason`` is required. From the day after ``expires`` the entry
accepts nothing and the finding says it expired. An entry that accepts no
finding is reported (PL601), like an unused suppression.

Only data: nothing here reads files; matching is linear in findings times
entries, and entries are bounded by ``limits.ACCEPT_ENTRIES``.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import ipaddress
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable, Mapping

from portlint import limits
from portlint.model import Finding, PortRange
from portlint.suppress import Problem, Waiver



@dataclass(frozen=True)
class Entry:
    line: int
    reason: str
    expires: date | None = None
    file: object | None = None  # a globmatch.GlobPattern
    resource: str | None = None
    rules: frozenset[str] | None = None
    ports: tuple[PortRange, ...] = ()
    protocol: str | None = None
    sources: tuple | None = None  # networks, or the literal strings of non-CIDR sources; None: any

    def matches(self, finding: Finding, path: str) -> bool:
        e = finding.exposure
        if self.file is not None and not self.file.fullmatch(path):
            return False
        if self.resource is not None and not _resource_matches(self.resource, e.resource):
            return False
        if self.rules is not None and finding.rule_id not in self.rules:
            return False
        if self.protocol is not None and self.protocol != e.protocol:
            return False
        if self.ports and not any(_within(r, p) for p in self.ports for r in _port_ranges(e)):
            return False
        if self.sources is not None and not all(_source_within(s, self.sources) for s in e.sources):
            return False
        return True


def _resource_matches(pattern: str, resource: str) -> bool:
    """The whole resource name, or its last part (``aws_security_group.bastion`` for ``bastion``)."""
    if fnmatch.fnmatchcase(resource, pattern):
        return True
    last = resource.replace("/", ".").rsplit(".", 1)[-1]
    return fnmatch.fnmatchcase(last, pattern)


def _port_ranges(e) -> Iterable[PortRange]:
    yield e.port_range
    if e.service_ports != e.port_range:
        yield e.service_ports


def _within(inner: PortRange, outer: PortRange) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def _source_within(source: str, allowed: tuple) -> bool:
    try:
        net = ipaddress.ip_network(source, strict=False)
    except ValueError:
        return source in allowed
    return any(isinstance(a, (ipaddress.IPv4Network, ipaddress.IPv6Network)) and a.version == net.version
               and net.subnet_of(a) for a in allowed)


def gitignore_regex(pattern: str):
    """A gitignore-style pattern as a matcher (``fullmatch``) over ``/``-separated relative paths.

    A pattern without a ``/`` (other than a trailing one) matches at any depth;
    one with a ``/`` is anchored at the base; ``**`` spans folders, ``*`` and
    ``?`` do not; a pattern that names a folder matches every file under it.
    """
    pattern = pattern.strip()
    if pattern.startswith("./"):
        pattern = pattern[2:]
    anchored = "/" in pattern.rstrip("/")
    from portlint.globmatch import GlobPattern

    return GlobPattern(pattern.strip("/"), anchored, below=True)  # linear: no regex backtracking


class AcceptError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


def _ports(value, line: int) -> tuple[PortRange, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if _is_pair(item):  # (low, high) as portlint.config hands it on
            first, last = str(item[0]), str(item[1])
        else:
            first, _, last = str(item).partition("-")
        try:
            out.append(PortRange(int(first), int(last or first)))
        except ValueError:
            raise AcceptError(line, f"accept: {item!r} is not a port or a range N-M within 0-65535") from None
    return tuple(out)


def _is_pair(value) -> bool:
    """``(low, high)``: a range as portlint.config hands it on (a YAML list is a list of ports)."""
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value)


def _sources(values: list, line: int) -> tuple | None:
    if any(str(v).strip().lower() == "any" for v in values):
        return None
    out = []
    for value in values:
        text = str(value).strip()
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            if "/" in text or text.replace(".", "").isdigit():
                raise AcceptError(line, f"accept: source {text!r} is not a CIDR") from None
            out.append(text)  # a security group or tag, matched as written
    return tuple(out)


def load_entries(raw: list[dict], known: Mapping[str, str]) -> tuple[list[Entry], list[AcceptError]]:
    """Entries from the configuration's ``accept`` list (already schema-checked); a bad entry is an
    error at its line and accepts nothing."""
    entries, errors = [], []
    if len(raw) > limits.ACCEPT_ENTRIES:
        errors.append(AcceptError(1, f"accept has {len(raw):,} entries, over portlint's limit of "
                                     f"{limits.ACCEPT_ENTRIES:,} (raise it with PORTLINT_MAX_ACCEPT_ENTRIES); "
                                     "none is used"))
        return entries, errors
    for item in raw:
        line = int(item.get("line") or 1)
        try:
            reason = str(item.get("reason") or "").strip()
            if not reason:
                raise AcceptError(line, "accept: every entry needs a reason")
            expires = None
            if isinstance(item.get("expires"), date):
                expires = item["expires"]
            elif item.get("expires"):
                try:
                    expires = date.fromisoformat(str(item["expires"]))
                except ValueError:
                    raise AcceptError(line, f"accept: expires {item['expires']!r} is not a date like 2027-06-30") from None
            rules = None
            if item.get("rules"):
                codes = set()
                for token in item["rules"]:
                    code = known.get(str(token).lower())
                    if code is None:
                        raise AcceptError(line, f"accept: unknown rule {token!r}")
                    codes.add(code)
                rules = frozenset(codes)
            protocol = item.get("protocol")
            entries.append(Entry(
                line=line, reason=reason, expires=expires,
                file=gitignore_regex(item["file"]) if item.get("file") else None,
                resource=item.get("resource"), rules=rules,
                ports=_ports(item["ports"], line) if item.get("ports") is not None else (),
                protocol=None if protocol in (None, "any", "all") else str(protocol).lower(),
                sources=_sources(list(item["sources"]), line) if item.get("sources") else None,
            ))
        except AcceptError as exc:
            errors.append(exc)
    return entries, errors


@dataclass
class Accepted:
    kept: list[Finding] = field(default_factory=list)
    accepted: list[Finding] = field(default_factory=list)
    waivers: dict[Finding, Waiver] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def settle(findings: list[Finding], entries: list[Entry], path_of: Callable[[Finding], str],
           config_file: str, today: date | None = None) -> Accepted:
    """Split ``findings`` into kept and accepted; ``path_of`` gives a finding's path relative to
    the configuration file's folder (``/``-separated)."""
    today = today or date.today()
    out = Accepted()
    used: set[int] = set()
    for finding in findings:
        path = path_of(finding)
        hits = [(i, entry) for i, entry in enumerate(entries) if entry.matches(finding, path)]
        live = next(((i, entry) for i, entry in hits if entry.expires is None or entry.expires >= today), None)
        used.update(i for i, _ in hits)
        if live is not None:
            entry = live[1]
            out.accepted.append(finding)
            out.waivers[finding] = Waiver("accepted", entry.reason, config_file, entry.line, entry.expires)
        elif hits:
            entry = hits[0][1]
            out.kept.append(dataclasses.replace(finding, message=(
                f"{finding.message} (the acceptance at {config_file}:{entry.line} expired on "
                f"{entry.expires.isoformat()})")))
        else:
            out.kept.append(finding)
    for i, entry in enumerate(entries):
        if i not in used:
            out.problems.append(Problem(config_file, entry.line, "unused acceptance: this accept entry matches "
                                                                 "no finding; remove it"))
    return out
