"""The port registry: IANA service names (``rules/ports.tsv``) plus de-facto services
(``rules/ports-overlay.yaml``), looked up by port or by name.

Loaded only when something asks for it (``portlint port``, inventory, the
unregistered-port rule); see ``benchmarks/bench_reference.py`` for its cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from portlint.model import PortRange
from portlint.reference import PROTOCOL_SETS, data_dir, load_data_file


@dataclass(frozen=True, slots=True)
class Service:
    ports: PortRange
    protocols: frozenset[str]
    name: str
    description: str
    origin: str  # "iana" or "overlay"

    def serves(self, protocol: str, ports: PortRange) -> bool:
        return (protocol == "all" or protocol in self.protocols) and self.ports.overlaps(ports)


#: at most this many ``by_port`` answers are kept (a run naming more ports starts over)
_REMEMBERED = 4096


class PortRegistry:
    """Services by port and by name; rows stay plain tuples until asked for (fast to load)."""

    def __init__(self, rows: list[tuple[int, int, str, str, str, str]]):
        self._rows = rows  # (first, last, protocols, name, description, origin)
        self._single: dict[int, list[int]] = {}
        self._ranges: list[int] = []
        #: ``by_port`` answers by (port, protocol): rule messages name the same few ports again and again
        self._by_port: dict[tuple[int, str | None], tuple[Service, ...]] = {}
        for index, row in enumerate(rows):
            if row[0] == row[1]:
                self._single.setdefault(row[0], []).append(index)
            else:
                self._ranges.append(index)

    @staticmethod
    def _service(row: tuple[int, int, str, str, str, str]) -> Service:
        first, last, protos, name, description, origin = row
        return Service(PortRange(first, last), frozenset(protos.split(",")), name, description, origin)

    @property
    def services(self) -> list[Service]:
        return [self._service(row) for row in self._rows]

    def _indexes(self, port: int) -> list[int]:
        found = list(self._single.get(port, ()))
        found += [i for i in self._ranges if self._rows[i][0] <= port <= self._rows[i][1]]
        return found

    def by_port(self, port: int, protocol: str | None = None) -> list[Service]:
        """Services registered on ``port`` (de-facto ones first)."""
        key = (port, protocol)
        found = self._by_port.get(key)
        if found is None:
            if len(self._by_port) >= _REMEMBERED:
                self._by_port.clear()
            found = [self._service(self._rows[i]) for i in self._indexes(port)]
            if protocol:
                found = [s for s in found if protocol == "all" or protocol in s.protocols]
            found = self._by_port[key] = tuple(sorted(found, key=lambda s: (s.origin != "overlay", s.ports.size,
                                                                             s.name)))
        return list(found)

    def explains(self, protocol: str, ports: PortRange) -> bool:
        """Does any registered service live on these ports?"""
        if ports.size > 64:
            return True  # ranges are judged by the range rules, not service by service
        for port in range(ports.start, ports.end + 1):
            for i in self._indexes(port):
                if protocol == "all" or protocol in self._rows[i][2].split(","):
                    return True
        return False

    def by_name(self, text: str) -> list[Service]:
        """Services whose name (or de-facto description) matches ``text``: exact names first."""
        needle = text.strip().lower()
        exact, partial = [], []
        for row in self._rows:
            name = row[3].lower()
            if name == needle:
                exact.append(self._service(row))
            elif needle in name or (row[5] == "overlay" and needle in row[4].lower()):
                partial.append(self._service(row))
        partial.sort(key=lambda s: (s.origin != "overlay", s.ports.start))
        return exact + partial


def _range(text: str) -> PortRange:
    start, _, end = str(text).partition("-")
    return PortRange(int(start), int(end or start))


@lru_cache(maxsize=1)
def load_registry() -> PortRegistry:
    rows: list[tuple[int, int, str, str, str, str]] = []
    with open(data_dir() / "ports.tsv", encoding="utf-8") as fh:
        for line in fh:
            if line[0] == "#":
                continue
            start, end, protos, name, description = line.rstrip("\n").split("\t", 4)
            rows.append((int(start), int(end), protos, name, description, "iana"))
    overlay = load_data_file("ports-overlay.yaml")
    for entry in overlay["entries"]:
        protos = ",".join(sorted(PROTOCOL_SETS[entry["protocol"]]))
        for item in entry["ports"]:
            span = _range(item)
            rows.append((span.start, span.end, protos, entry["service"], entry["service"], "overlay"))
    return PortRegistry(rows)
