"""The exposure model every parser emits and every rule judges.

Everything here is immutable and free of I/O, so parsers, rules and formatters
can share records without copying them.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field

#: Reachability classes, from widest to narrowest; ``unknown`` means unresolved.
SCOPES = ("internet", "restricted-public", "private", "local", "unknown")

#: Linux's default ephemeral range, used by Docker for container-only ports.
EPHEMERAL_PORTS = (32768, 60999)


class Severity(enum.IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {choices})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True, order=True)
class PortRange:
    """An inclusive port range; all ports is ``0-65535``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start <= self.end <= 65535):
            raise ValueError(f"invalid port range {self.start}-{self.end}")

    @classmethod
    def single(cls, port: int) -> "PortRange":
        return cls(port, port)

    @property
    def size(self) -> int:
        return self.end - self.start + 1

    @property
    def is_all(self) -> bool:
        return self.start <= 1 and self.end == 65535

    def overlaps(self, other: "PortRange") -> bool:
        return self.start <= other.end and other.start <= self.end

    def contains(self, other: "PortRange") -> bool:
        return self.start <= other.start and other.end <= self.end

    def intersection(self, other: "PortRange") -> "PortRange | None":
        start, end = max(self.start, other.start), min(self.end, other.end)
        return PortRange(start, end) if start <= end else None

    def as_list(self) -> list[int]:
        return [self.start, self.end]

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"


@dataclass(frozen=True, slots=True)
class Location:
    """1-based position of the smallest element that grants an exposure."""

    file: str
    line: int
    end_line: int
    column: int = 1


#: Version of ``Finding.fingerprint``; baselines record it (see portlint.baseline).
#: 1: rule, file, resource, direction, protocol, ports, target ports, sources.
#: 2: as 1, plus the Terraform root for exposures reached through module calls.
FINGERPRINT_VERSION = 2


@dataclass(frozen=True, slots=True)
class Step:
    """A place on the way to an exposure: a module call, or where a deciding value was set.

    ``line`` is 0 when the value came from no file (``TF_VAR_*``, ``--var``).
    """

    label: str
    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.label} at {self.file}:{self.line}" if self.line else f"{self.label} from {self.file}"

    def to_dict(self) -> dict:
        return {"label": self.label, "file": self.file, "line": self.line, "column": self.column}


@dataclass(frozen=True, slots=True)
class Exposure:
    """Who (``sources``) can reach which protocol and ports, and where that is written.

    ``traits`` carries format facts that rules may care about without knowing the
    format: ``host-network``, ``expose-only``, ``ephemeral-host-port``,
    ``unresolved-port``.
    """

    kind: str
    location: Location
    resource: str
    protocol: str
    port_range: PortRange
    sources: tuple[str, ...]
    scope: str
    direction: str = "ingress"
    action: str = "allow"
    target_port_range: PortRange | None = None
    unresolved: tuple[str, ...] = ()
    traits: frozenset[str] = frozenset()
    raw: str = ""
    #: the container image behind the exposure, when the format names one (Compose, Kubernetes)
    image: str = ""
    #: the enclosing resource (Terraform resource, Compose service, CloudFormation resource,
    #: Kubernetes object) when it is larger than ``location``
    context: Location | None = None
    #: ordered rule sets (NACLs, NSGs, GCP networks, firewall files): the set's name and
    #: this rule's place in it (lower first); empty for sources without ordering.
    policy: str = ""
    priority: float = 0
    #: the root the exposure is reached from (a Terraform root module folder), when known
    root: str = ""
    #: the module calls from ``root`` down to the module that holds ``location``, outermost first
    via: tuple[Step, ...] = ()
    #: where the values that decided the exposure were set (a tfvars line, a module argument)
    origins: tuple[Step, ...] = ()

    @property
    def service_ports(self) -> PortRange:
        """The ports that identify the service: the target side when remapped."""
        return self.target_port_range or self.port_range

    def to_dict(self) -> dict:
        loc = self.location
        return {
            "kind": self.kind,
            "file": loc.file,
            "line": loc.line,
            "end_line": loc.end_line,
            "column": loc.column,
            "resource": self.resource,
            "direction": self.direction,
            "action": self.action,
            "protocol": self.protocol,
            "port_range": self.port_range.as_list(),
            "target_port_range": self.target_port_range.as_list() if self.target_port_range else None,
            "sources": list(self.sources),
            "scope": self.scope,
            "unresolved": list(self.unresolved),
            "traits": sorted(self.traits),
            **_context_dict(self.context),
            **_chain_dict(self),
        }


def _chain_dict(e: Exposure) -> dict:
    """``root``, ``via`` and ``origins`` when the exposure has them (other formats are unchanged)."""
    if not (e.root or e.via or e.origins):
        return {}
    return {"root": e.root, "via": [s.to_dict() for s in e.via], "origins": [s.to_dict() for s in e.origins]}


def _context_dict(context: Location | None) -> dict:
    if context is None:
        return {}
    return {"context": {"line": context.line, "end_line": context.end_line}}


@dataclass(frozen=True, slots=True)
class InputError:
    """A file (or part of one) that could not be read or understood."""

    file: str
    line: int
    message: str
    column: int = 1

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}


@dataclass(frozen=True, slots=True)
class Notice:
    """Something a run passed over on purpose and says so (an unrendered Helm chart), not an error.

    ``file`` is the file or folder it concerns (a chart folder), as shown; notices never change
    the exit code.
    """

    file: str
    message: str

    def to_dict(self) -> dict:
        return {"file": self.file, "message": self.message}


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    rule_name: str
    severity: Severity
    message: str
    exposure: Exposure

    @property
    def location(self) -> Location:
        return self.exposure.location

    @property
    def fingerprint(self) -> str:
        """Stable across edits that only move lines (used by baselines and SARIF); version
        ``FINGERPRINT_VERSION``. An exposure reached through module calls adds its root, so
        one module opened from two roots is two findings, and a new root is a new finding."""
        return self.fingerprint_of(FINGERPRINT_VERSION)

    def fingerprint_of(self, version: int) -> str:
        """The fingerprint as portlint ``version`` computed it (1 or 2); 1 reads old baselines."""
        e = self.exposure
        target = str(e.target_port_range) if e.target_port_range else ""
        parts = [self.rule_id, e.location.file, e.resource, e.direction, e.protocol,
                 str(e.port_range), target, ",".join(e.sources)]
        if version >= 2 and e.via:
            parts.append("root:" + e.root)
        key = "\x1f".join(parts)
        # surrogatepass: an undecodable file name (surrogate escapes) must not crash hashing
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def to_dict(self) -> dict:
        e = self.exposure
        loc = e.location
        return {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "severity": self.severity.label,
            "message": self.message,
            "file": loc.file,
            "line": loc.line,
            "end_line": loc.end_line,
            "column": loc.column,
            "resource": e.resource,
            "kind": e.kind,
            "protocol": e.protocol,
            "port_range": e.port_range.as_list(),
            "target_port_range": e.target_port_range.as_list() if e.target_port_range else None,
            "sources": list(e.sources),
            "scope": e.scope,
            "fingerprint": self.fingerprint,
            **_context_dict(e.context),
            **_chain_dict(e),
        }


@dataclass(frozen=True, slots=True)
class ParseOutcome:
    """What a parser made of one file: its exposures and the problems it met."""

    file: str
    exposures: tuple[Exposure, ...] = ()
    errors: tuple[InputError, ...] = ()
    #: what was skipped on purpose (one per Helm chart with unrendered templates)
    notices: tuple[Notice, ...] = ()


@dataclass(slots=True)
class Report:
    """The finished result of a run, handed to formatters."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    exposures: list[Exposure] = field(default_factory=list)
    #: allows that an earlier deny hides completely (see portlint.policy)
    shadowed: list = field(default_factory=list)
    #: the rule classes that ran (formatters describe them, e.g. in SARIF)
    rules: list = field(default_factory=list)
    #: findings silenced by inline directives, and by the baseline
    suppressed: list = field(default_factory=list)
    baselined: list = field(default_factory=list)
    #: findings accepted by an ``accept:`` entry of the configuration (see portlint.accept)
    accepted: list = field(default_factory=list)
    #: why each suppressed or accepted finding is not open: finding -> portlint.suppress.Waiver
    waivers: dict = field(default_factory=dict)
    files_scanned: int = 0
    #: what the parsers skipped on purpose, by file (see ``Notice``); never an error
    notices: list[Notice] = field(default_factory=list)

    def count_by_severity(self) -> dict[str, int]:
        counts = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            counts[f.severity.label] += 1
        return counts


def _pickled_by_fields(cls: type) -> type:
    """Pickle ``cls`` as a call with its field values, in field order.

    Outcomes travel from worker processes to the parent (``portlint.workers``); a slotted frozen
    dataclass otherwise pickles through ``dataclasses``' Python-level state functions, which cost
    about twice as much each way for the thousands of records of a large tree.
    """
    from dataclasses import fields
    from operator import attrgetter

    names = [f.name for f in fields(cls)]
    values = attrgetter(*names) if len(names) > 1 else (lambda self, _get=attrgetter(names[0]): (_get(self),))

    def __reduce_ex__(self, protocol):
        if type(self) is not cls:  # a plug-in's subclass: its own fields, pickled the usual way
            return object.__reduce_ex__(self, protocol)
        return cls, values(self)

    cls.__reduce_ex__ = __reduce_ex__
    return cls


for _record in (PortRange, Location, Step, Exposure, InputError, Notice, ParseOutcome, Finding):
    _pickled_by_fields(_record)
del _record
