"""The data rules judge with: the risk list and the port registry, shipped in ``rules/``.

The top-level ``rules/`` folder of the repository ships inside the wheel as
``portlint/_rules``; a source checkout reads it in place. A risk list is
validated against ``portlint/schemas/risks.schema.json`` when it is loaded,
except the shipped one when its content is the one the tests validated (its
hash is pinned in ``rules/risks.yaml.sha256``), which keeps jsonschema out of
every pre-commit run.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from portlint.model import PortRange, Severity

_PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_RULE = "PL101"


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


class ReferenceDataError(Exception):
    """A risk list or registry file that does not follow its schema."""


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
    rule: str = DEFAULT_RULE

    def matches(self, protocol: str, ports: PortRange) -> bool:
        if protocol != "all" and protocol not in self.protocols:
            return False
        return any(r.overlaps(ports) for r in self.ports)

    def ports_text(self) -> str:
        return ", ".join(str(r) for r in self.ports)

    def label(self) -> str:
        """``RDP (3389/tcp, udp)``: the service with its ports and protocols."""
        protos = ", ".join(sorted(self.protocols)) if len(self.protocols) < 3 else "any"
        return f"{self.service} ({self.ports_text()}/{protos})"


class RiskList:
    def __init__(self, entries: list[RiskEntry], sources: dict[str, dict]):
        self.entries = entries
        self.sources = sources
        self.by_id = {e.id: e for e in entries}
        self._cache: dict[tuple[str, PortRange, str | None], list[RiskEntry]] = {}
        #: what runs behind a (protocol, service ports, image, web front end) combination, as
        #: ``portlint.checks.verdict.identify_with`` decides it with this list
        self.identities: dict[tuple, object] = {}

    def matching(self, protocol: str, ports: PortRange, rule: str | None = None) -> list[RiskEntry]:
        """Entries the exposure touches, most severe first; only those of ``rule`` if given."""
        key = (protocol, ports, rule)
        found = self._cache.get(key)
        if found is None:
            found = sorted((e for e in self.entries if e.matches(protocol, ports) and (rule is None or e.rule == rule)),
                           key=lambda e: (-e.severity, e.ports[0].start))
            self._cache[key] = found
        return list(found)

    def source_url(self, reference: str) -> str | None:
        entry = self.sources.get(reference.split(":", 1)[0])
        return entry.get("url") if entry else None


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
            rule=raw.get("rule", DEFAULT_RULE),
        )
        for raw in data["entries"]
    ]
    return RiskList(entries, data.get("sources", {}))


def validate_risk_data(data: object, origin: str) -> None:
    """Raise ReferenceDataError naming the first schema problem and where it is."""
    from portlint.schemas import json_path, load_schema

    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(load_schema("risks")).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        raise ReferenceDataError(f"{origin}: {json_path(first.path)}: {first.message}")
    entries = data["entries"]  # type: ignore[index]
    known = set(data["sources"])  # type: ignore[index]
    for index, entry in enumerate(entries):
        for ref in entry["sources"]:
            if ref.split(":", 1)[0] not in known:
                raise ReferenceDataError(f"{origin}: $.entries[{index}].sources: unknown source {ref!r}")


def load_yaml_text(text: str):
    """Plain YAML data (no positions), with the C loader when there is one."""
    from portlint.yamlpos import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def load_data_text(text: str):
    """YAML data, from a JSON copy kept by content hash in the private user cache folder when there
    is one (reading JSON takes a fraction of a millisecond, PyYAML's C loader 10-20 ms for the risk
    list). The copy is written by this user only and read only from a folder nobody else can write;
    it is data, never code, and a damaged copy is ignored and written again."""
    import json

    from portlint.cache import private_folder

    folder = private_folder("data")
    path = os.path.join(folder, f"{hashlib.sha256(text.encode('utf-8')).hexdigest()}.json") if folder else None
    if path is not None:
        try:
            with open(path, encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            pass
    data = load_yaml_text(text)
    if path is not None:
        try:
            encoded = json.dumps(data)
            if json.loads(encoded) == data:  # only data JSON gives back unchanged (no dates, no int keys)
                temporary = f"{path}.{os.getpid()}.tmp"
                with open(temporary, "w", encoding="utf-8") as fh:
                    fh.write(encoded)
                os.replace(temporary, path)
        except (OSError, TypeError, ValueError):
            pass
    return data


def load_data_file(name: str):
    """A YAML file of the shipped ``rules/`` data."""
    return load_data_text((data_dir() / name).read_text(encoding="utf-8"))


def risk_file_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_risk_list_from(path: Path) -> RiskList:
    text = path.read_text(encoding="utf-8")
    data = load_data_text(text)
    pinned = path.with_name(path.name + ".sha256")
    trusted = pinned.is_file() and pinned.read_text().strip() == risk_file_hash(text)
    if not trusted:
        validate_risk_data(data, str(path))
    return risk_list_from_data(data)


@lru_cache(maxsize=1)
def load_risk_list() -> RiskList:
    return load_risk_list_from(data_dir() / "risks.yaml")


@dataclass(frozen=True, slots=True)
class ImageEntry:
    """What a known container image runs, and the risk entries that describe it.

    ``category`` is ``database`` (data stores and brokers), ``admin`` (admin UIs
    and control planes) or ``app`` (web applications, home-server apps).
    ``risks`` are ids of the risk list: the port rules keep only those entries
    for this image's ports, so a port number never names a service the image
    contradicts. ``severity`` overrides the category's default severity.
    """

    service: str
    category: str
    risks: tuple[str, ...] = ()
    severity: Severity | None = None


def image_key(image: str) -> tuple[str, str]:
    """(repository path, last component) of an image reference, without registry, tag or digest."""
    ref = image.strip().lower().split("@", 1)[0]
    parts = ref.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, parts = parts[0], parts[1:]
        if registry.endswith("quay.io"):
            parts = ["quay.io"] + parts
    last = parts[-1].split(":", 1)[0]
    path = "/".join(parts[:-1] + [last])
    if path.startswith("library/"):
        path = path[len("library/"):]
    return path, last


@lru_cache(maxsize=1)
def load_images() -> dict[str, ImageEntry]:
    data = load_data_file("images.yaml")
    table: dict[str, ImageEntry] = {}
    for item in data["images"]:
        for pattern in item["match"]:
            table[pattern.lower()] = ImageEntry(
                item["service"], item["category"], tuple(item.get("risk", ())),
                Severity.parse(item["severity"]) if "severity" in item else None)
    return table


def image_entry(image: str) -> ImageEntry | None:
    """What a container image runs, when ``rules/images.yaml`` knows it."""
    if not image:
        return None
    path, last = image_key(image)
    table = load_images()
    return table.get(path) or table.get(last)
