"""Comparing two exposure models: what a change opens, widens, narrows or closes.

Two finished ``Report`` objects (BASE and HEAD, from the normal engine) are
matched exposure by exposure. Line numbers are never part of an identity, so
moving a block, reordering entries or renaming a file (when the caller hands in
git's rename map) changes nothing. No I/O here.

Identity has two levels:

1. ``identity(exposure)``: the *unit* -- kind, the root it is reached from
   (when the model carries one), file (rename-mapped) and resource address;
2. inside one unit, the *element* (a Compose port entry, an ingress block, a
   firewall rule) is matched in rounds, most specific first: everything equal;
   same protocol and service ports (its sources changed); same service ports
   (its protocol changed); same sources (its ports changed); and last, the
   remaining elements in file order.

Ports, protocol, sources and scope are what is compared.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from portlint.model import Exposure, Finding, InputError, Report, Severity

STATUSES = ("opened", "widened", "narrowed", "closed", "unchanged")
#: how far a scope reaches; unresolved exposure is treated as almost public
SCOPE_RANK = {"local": 0, "private": 1, "restricted-public": 2, "unknown": 2.5, "internet": 3}


def exposure_root(exposure: Exposure) -> str:
    """The root (Terraform root module, Compose project) an exposure is reached from, when known."""
    root = getattr(exposure, "root", "") or ""
    if isinstance(root, (tuple, list)):
        return " > ".join(str(r) for r in root)
    return str(root)


def identity(exposure: Exposure, renamed: Mapping[str, str] | None = None) -> tuple:
    """The unit an exposure belongs to, stable across line moves and renames.

    ``renamed`` maps an old file name to its new one (applied to BASE).
    """
    file = exposure.location.file
    if renamed:
        file = renamed.get(file, file)
    if exposure.kind == "compose":
        file = compose_project(file)
    return (exposure.kind, exposure_root(exposure), file, exposure.resource, exposure.direction)


def compose_project(file: str) -> str:
    """The Compose project a file belongs to: ``compose.yaml`` and its ``compose.override.yaml``
    are one project (an override rebinding a port replaces the base file's entry)."""
    folder, _, name = file.rpartition("/")
    stem, dot, _extension = name.rpartition(".")
    if not dot or _extension.lower() not in ("yml", "yaml"):
        return file
    stem = stem.removesuffix(".override")
    return f"{folder}/{stem}" if folder else stem


def _full(e: Exposure) -> tuple:
    return (e.protocol, e.port_range, e.target_port_range, tuple(sorted(e.sources)), e.scope)


def _service(e: Exposure) -> tuple:
    return (e.protocol, e.service_ports)


def _ports(e: Exposure) -> tuple:
    return (e.service_ports,)


def _sources(e: Exposure) -> tuple:
    return (tuple(sorted(e.sources)),)


ELEMENT_KEYS: tuple[Callable[[Exposure], tuple] | None, ...] = (_full, _service, _ports, _sources, None)


def _position(e: Exposure) -> tuple:
    return (e.location.line, e.location.column)


def pair_elements(before: list[Exposure], after: list[Exposure]) -> list[tuple[Exposure | None, Exposure | None]]:
    """Match the elements of one unit: pairs, then what only BASE or only HEAD has."""
    left_b, left_a = sorted(before, key=_position), sorted(after, key=_position)
    pairs: list[tuple[Exposure | None, Exposure | None]] = []
    for key in ELEMENT_KEYS:
        if not left_b or not left_a:
            break
        if key is None:
            count = min(len(left_b), len(left_a))
            pairs.extend(zip(left_b[:count], left_a[:count]))
            left_b, left_a = left_b[count:], left_a[count:]
            break
        by_key: dict[tuple, list[Exposure]] = {}
        for e in left_b:
            by_key.setdefault(key(e), []).append(e)
        kept_a = []
        for e in left_a:
            candidates = by_key.get(key(e))
            if candidates:
                pairs.append((candidates.pop(0), e))
            else:
                kept_a.append(e)
        matched = {id(b) for b, _ in pairs}
        left_b, left_a = [e for e in left_b if id(e) not in matched], kept_a
    pairs.extend((b, None) for b in left_b)
    pairs.extend((None, a) for a in left_a)
    return pairs


def _network(text: str):
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _covered(source: str, others: Iterable[str]) -> bool:
    net = _network(source)
    for other in others:
        if other == source:
            return True
        wide = _network(other)
        if net is not None and wide is not None and net.version == wide.version and net.subnet_of(wide):
            return True
    return False


def _sources_text(e: Exposure) -> str:
    return ", ".join(e.sources) or "-"


def _ports_text(e: Exposure) -> str:
    text = f"{e.port_range}/{e.protocol}"
    if e.target_port_range and e.target_port_range != e.port_range:
        text += f" (to {e.target_port_range})"
    return text


def compare(before: Exposure, after: Exposure) -> tuple[str, tuple[str, ...]]:
    """(status, reasons) for one matched pair: widened, narrowed or unchanged."""
    wider: list[str] = []
    narrower: list[str] = []
    if before.protocol != after.protocol:
        (narrower if before.protocol == "all" else wider).append(f"protocol {before.protocol} → {after.protocol}")
    if before.port_range != after.port_range or before.target_port_range != after.target_port_range:
        text = f"ports {_ports_text(before)} → {_ports_text(after)}"
        grows = not before.port_range.contains(after.port_range)
        (wider if grows else narrower).append(text)
    rank_b, rank_a = SCOPE_RANK.get(before.scope, 2.5), SCOPE_RANK.get(after.scope, 2.5)
    sources_changed = sorted(before.sources) != sorted(after.sources)
    if rank_a != rank_b or sources_changed:
        text = f"sources {_sources_text(before)} → {_sources_text(after)}"
        if rank_a != rank_b:
            text += f" (scope {before.scope} → {after.scope})"
        if rank_a > rank_b:
            wider.append(text)
        elif rank_a < rank_b:
            narrower.append(text)
        elif any(not _covered(s, before.sources) for s in after.sources):
            wider.append(text)
        else:
            narrower.append(text)
    if wider:
        return "widened", tuple(wider + narrower)
    if narrower:
        return "narrowed", tuple(narrower)
    return "unchanged", ()


@dataclass(frozen=True)
class Change:
    """One exposure element compared between BASE and HEAD."""

    status: str
    before: Exposure | None
    after: Exposure | None
    reasons: tuple[str, ...] = ()
    #: findings (not suppressed) on the element before and after
    findings_before: tuple[Finding, ...] = ()
    findings_after: tuple[Finding, ...] = ()
    #: findings on the HEAD element that an inline directive silences
    suppressed_after: tuple[Finding, ...] = ()
    #: the same on the BASE element
    suppressed_before: tuple[Finding, ...] = ()
    #: changed files that may explain a change whose own file did not change (tfvars, .env)
    via: tuple[str, ...] = ()

    @property
    def newly_suppressed(self) -> tuple[Finding, ...]:
        """HEAD findings an inline directive silences that BASE did not silence."""
        before = {f.rule_id for f in self.suppressed_before}
        return tuple(f for f in self.suppressed_after if f.rule_id not in before)

    @property
    def exposure(self) -> Exposure:
        return self.after or self.before  # type: ignore[return-value]

    @property
    def severity_before(self) -> Severity | None:
        return max((f.severity for f in self.findings_before), default=None)

    @property
    def severity_after(self) -> Severity | None:
        return max((f.severity for f in self.findings_after), default=None)

    @property
    def severity(self) -> Severity | None:
        """What a reviewer should weigh: the HEAD severity, or BASE's for a closed exposure."""
        return self.severity_after if self.after is not None else self.severity_before

    @property
    def opens(self) -> bool:
        return self.status in ("opened", "widened")


@dataclass
class Side:
    """One evaluated side: its report and how to name it."""

    label: str
    report: Report
    revision: str | None = None
    errors: list[InputError] = field(default_factory=list)

    @property
    def all_errors(self) -> list[InputError]:
        return sorted(set(self.report.errors) | set(self.errors), key=lambda e: (e.file, e.line, e.message))


@dataclass
class DiffResult:
    base: Side
    head: Side
    changes: list[Change]
    unchanged: int
    changed_files: list[str] = field(default_factory=list)
    config_changes: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    #: matched elements that did not change (kept for their suppressions)
    quiet: list[Change] = field(default_factory=list)
    #: which configuration judged both sides: ``base`` (BASE's own), ``option`` (--config),
    #: ``current folder`` (two folders), ``none`` (BASE has none)
    config_source: str = "current folder"
    #: that configuration as shown (``main:.portlint.yaml``), when there is one
    config_file: str | None = None

    def by_status(self, status: str) -> list[Change]:
        return [c for c in self.changes if c.status == status]

    def counts(self) -> dict[str, int]:
        counts = {s: len(self.by_status(s)) for s in STATUSES if s != "unchanged"}
        counts["unchanged"] = self.unchanged
        return counts

    @property
    def newly_suppressed(self) -> list[Change]:
        """Elements whose HEAD finding an inline directive silences and BASE did not."""
        return [c for c in self.changes + self.quiet if c.newly_suppressed]

    def failing(self, fail_on: Severity | None) -> list[Change]:
        """Opened or widened elements with a finding at or above ``fail_on``."""
        if fail_on is None:
            return []
        return [c for c in self.changes if c.opens and any(f.severity >= fail_on for f in c.findings_after)]


def _index(findings: Iterable[Finding]) -> dict[Exposure, list[Finding]]:
    out: dict[Exposure, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.exposure, []).append(f)
    return out


def _ingress_allows(report: Report) -> list[Exposure]:
    return [e for e in report.exposures if e.action == "allow" and e.direction == "ingress"]


RELATED_SUFFIXES = {
    "terraform": (".tf", ".tfvars", ".tf.json", ".tfvars.json"),
    "compose": (".env", ".yml", ".yaml"),
}


def _via(exposure: Exposure, changed: set[str]) -> tuple[str, ...]:
    if exposure.location.file in changed:
        return ()
    suffixes = RELATED_SUFFIXES.get(exposure.kind)
    related = [f for f in sorted(changed)
               if suffixes is None or f.endswith(suffixes) or f.rsplit("/", 1)[-1].startswith(".env")]
    root = exposure_root(exposure)
    if root and " > " not in root:
        # a change in another root cannot explain this root's exposure
        own = [f for f in related if root in (".", "") or f.startswith(root.rstrip("/") + "/")
               or any(f == step.file for step in (*getattr(exposure, "via", ()), *getattr(exposure, "origins", ())))]
        related = own or related
    return tuple(related[:3])


def compare_reports(base: Side, head: Side, renamed: Mapping[str, str] | None = None,
                    changed_files: Iterable[str] = (), config_changes: Iterable[str] = ()) -> DiffResult:
    """Match every ingress allow of BASE with HEAD's and classify each element.

    ``renamed`` maps a HEAD file name to its BASE name (git's rename detection).
    """
    old_to_new = {old: new for new, old in (renamed or {}).items()}
    changed = set(changed_files)
    units_b: dict[tuple, list[Exposure]] = {}
    units_a: dict[tuple, list[Exposure]] = {}
    for e in _ingress_allows(base.report):
        units_b.setdefault(identity(e, old_to_new), []).append(e)
    for e in _ingress_allows(head.report):
        units_a.setdefault(identity(e), []).append(e)
    kept_b, kept_a = _index(base.report.findings), _index(head.report.findings)
    quiet_b, quiet_a = _index(base.report.suppressed), _index(head.report.suppressed)
    changes: list[Change] = []
    quiet: list[Change] = []
    unchanged = 0
    for unit in sorted(set(units_b) | set(units_a)):
        for before, after in pair_elements(units_b.get(unit, []), units_a.get(unit, [])):
            fb = tuple(kept_b.get(before, ())) if before is not None else ()
            fa = tuple(kept_a.get(after, ())) if after is not None else ()
            sa = tuple(quiet_a.get(after, ())) if after is not None else ()
            sb = tuple(quiet_b.get(before, ())) if before is not None else ()
            if before is None:
                status, reasons = "opened", ()
            elif after is None:
                status, reasons = "closed", ()
            else:
                status, reasons = compare(before, after)
                new_rules = sorted({f.rule_id for f in fa} - {f.rule_id for f in fb})
                if status != "widened" and new_rules:
                    status, reasons = "widened", reasons + (f"newly reported by {', '.join(new_rules)}",)
            via = _via(after, changed) if after is not None and status in ("opened", "widened", "narrowed") else ()
            change = Change(status, before, after, reasons, fb, fa, sa, sb, via)
            if status == "unchanged":
                unchanged += 1
                quiet.append(change)
            else:
                changes.append(change)
    changes.sort(key=risk_order)
    return DiffResult(base, head, changes, unchanged, sorted(changed), sorted(config_changes),
                      dict(renamed or {}), quiet)


def risk_order(change: Change) -> tuple:
    """Riskiest first: the severity after the change (BASE's for a closed exposure, ranked below any
    open one), then opened and widened before narrowed and closed, then a severity that rose."""
    status_rank = {"opened": 0, "widened": 0, "narrowed": 1, "closed": 2, "unchanged": 3}[change.status]
    after = change.severity_after if change.after is not None else None
    before = change.severity_before
    rose = after is not None and (before is None or after > before)
    return (-(after if after is not None else -1), status_rank, not rose,
            -(before if before is not None else -1), change.status != "opened",
            change.exposure.location.file, change.exposure.location.line)


def exit_code(result: DiffResult, fail_on: Severity | None) -> int:
    """2 when HEAD could not be checked completely; 1 when an opened or widened element fails; else 0.

    Errors in BASE do not change the exit code: an exposure BASE could not show
    is reported as opened, which errs on the side of telling the reviewer.
    """
    if result.head.all_errors:
        return 2
    return 1 if result.failing(fail_on) else 0
