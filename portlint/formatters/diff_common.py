"""What every diff renderer says about a change: service, ports, sources, the headline.

Everything returned here is plain text from the checked repository; each
renderer escapes it for its own output.
"""

from __future__ import annotations

from functools import lru_cache

from portlint.diff import Change, DiffResult
from portlint.model import Exposure


@lru_cache(maxsize=4096)
def service_name(exposure: Exposure) -> str:
    """The risk list's (else the port registry's) name for what listens there, or ''."""
    from portlint.reference import load_risk_list
    from portlint.registry import load_registry

    ports = exposure.service_ports
    if "unresolved-port" in exposure.traits or ports.size > 100:
        return ""
    entries = load_risk_list().matching(exposure.protocol, ports)
    if entries:
        return entries[0].service
    if ports.size == 1 and exposure.protocol in ("tcp", "udp", "sctp"):
        found = load_registry().by_port(ports.start, exposure.protocol)
        return found[0].name if found else ""
    return ""


def ports(exposure: Exposure) -> str:
    text = "all ports" if exposure.port_range.is_all and exposure.protocol == "all" \
        else f"{exposure.port_range}/{exposure.protocol}"
    if exposure.target_port_range and exposure.target_port_range != exposure.port_range:
        text += f" (container {exposure.target_port_range})"
    return text


def sources(exposure: Exposure) -> str:
    return ", ".join(exposure.sources) or exposure.scope


def what(exposure: Exposure) -> str:
    """``PostgreSQL 5432/tcp from 0.0.0.0/0``"""
    name = service_name(exposure)
    return f"{name + ' ' if name else ''}{ports(exposure)} from {sources(exposure)}"


def was(change: Change) -> str:
    """What the widened or narrowed dimensions were before: ``was 10.0.0.0/8``."""
    before, after = change.before, change.after
    if before is None or after is None:
        return ""
    parts = []
    if ports(before) != ports(after):
        parts.append(ports(before))
    if sorted(before.sources) != sorted(after.sources) or before.scope != after.scope:
        parts.append(f"from {sources(before)}" if parts else sources(before))
    return f"was {' '.join(parts)}" if parts else ""


def where(exposure: Exposure) -> str:
    return f"{exposure.location.file}:{exposure.location.line}"


def severity(change: Change) -> str:
    """``critical``, ``low → critical`` or ``-``."""
    before, after = change.severity_before, change.severity_after
    if change.status == "closed":
        return before.label if before is not None else "-"
    if change.status == "opened" or before == after:
        return after.label if after is not None else "-"
    return f"{before.label if before is not None else 'none'} → {after.label if after is not None else 'none'}"


def rules(change: Change) -> str:
    findings = change.findings_after if change.after is not None else change.findings_before
    return ", ".join(sorted({f.rule_id for f in findings}))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def headline(result: DiffResult) -> str:
    """The one sentence a reviewer reads first."""
    opened, widened = result.by_status("opened"), result.by_status("widened")
    narrowed, closed = result.by_status("narrowed"), result.by_status("closed")
    errors = result.head.all_errors
    tail = (f" HEAD could not be checked completely ({_plural(len(errors), 'input error')})."
            if errors else "")
    if opened or widened:
        verb = "opens" if not widened else ("widens" if not opened else "opens or widens")
        ranked = sorted(opened + widened, key=lambda c: -(c.severity if c.severity is not None else -1))
        worst = ranked[0]
        top = worst.severity
        count = sum(1 for c in ranked if c.severity == top) if top is not None else 0
        severity_part = f", {count} {top.label}" if top is not None else ""
        before = was(worst)
        via = f" (through {', '.join(worst.via)})" if worst.via else ""
        return (f"This change {verb} {_plural(len(opened) + len(widened), 'exposure')}{severity_part}: "
                f"{what(worst.after)}{f' ({before})' if before else ''} at {where(worst.after)}{via}.{tail}")
    if narrowed or closed:
        parts = [f"narrows {_plural(len(narrowed), 'exposure')}"] if narrowed else []
        parts += [f"closes {_plural(len(closed), 'exposure')}"] if closed else []
        return f"This change opens nothing; it {' and '.join(parts)}.{tail}"
    return f"This change does not change any port exposure.{tail}"


def summary(result: DiffResult) -> str:
    counts = result.counts()
    return ", ".join(f"{n} {status}" for status, n in counts.items()) + "."

