"""The data rules judge with: the risk list (and, later, the port registry).

The top-level ``rules/`` folder of the repository ships inside the wheel as
``portlint/_rules``; a source checkout reads it in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from portlint.model import PortRange, Severity

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir() -> Path:
    """Where the shipped ``rules/`` data lives, installed or in a checkout."""
    installed = _PACKAGE_DIR / "_rules"
    return installed if installed.is_dir() else _PACKAGE_DIR.parent / "rules"


PROTOCOL_SETS = {
    "tcp": frozenset({"tcp"}),
    "udp": frozenset({"udp"}),
    "tcp/udp": frozenset({"tcp", "udp"}),
    "any": frozenset({"tcp", "udp", "sctp"}),
}


@dataclass(frozen=True, slots=True)
class RiskEntry:
    """A service that must not face the internet, and why."""

    id: str
    service: str
    ports: tuple[PortRange, ...]
    protocols: frozenset[str]
    severity: Severity
    reason: str
    sources: tuple[str, ...]
    categories: frozenset[str] = frozenset()

    def matches(self, protocol: str, ports: PortRange) -> bool:
        if protocol != "all" and protocol not in self.protocols:
            return False
        return any(r.overlaps(ports) for r in self.ports)

    def ports_text(self) -> str:
        return ", ".join(str(r) for r in self.ports)

    def label(self) -> str:
        """``RDP (3389/tcp)``: the service with its ports and protocols."""
        protos = "/".join(sorted(self.protocols)) if len(self.protocols) < 3 else "any"
        return f"{self.service} ({self.ports_text()}/{protos})"


class RiskList:
    def __init__(self, entries: list[RiskEntry], sources: dict[str, dict]):
        self.entries = entries
        self.sources = sources
        self.by_id = {e.id: e for e in entries}

    def matching(self, protocol: str, ports: PortRange) -> list[RiskEntry]:
        """Entries the exposure touches, most severe first."""
        found = [e for e in self.entries if e.matches(protocol, ports)]
        return sorted(found, key=lambda e: (-e.severity, e.ports[0].start))


def _parse_port_item(item: object) -> PortRange:
    if isinstance(item, int):
        return PortRange.single(item)
    start, _, end = str(item).partition("-")
    return PortRange(int(start), int(end or start))


def risk_list_from_data(data: dict) -> RiskList:
    entries = [
        RiskEntry(
            id=raw["id"],
            service=raw["service"],
            ports=tuple(_parse_port_item(p) for p in raw["ports"]),
            protocols=PROTOCOL_SETS[raw["protocol"]],
            severity=Severity.parse(raw["severity"]),
            reason=" ".join(raw["reason"].split()),
            sources=tuple(raw.get("sources", ())),
            categories=frozenset(raw.get("categories", ())),
        )
        for raw in data["entries"]
    ]
    return RiskList(entries, data.get("sources", {}))


@lru_cache(maxsize=1)
def load_risk_list() -> RiskList:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(data_dir() / "risks.yaml", encoding="utf-8") as fh:
        return risk_list_from_data(yaml.load(fh, Loader=loader))  # noqa: S506
