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
    """What runs there, named as ``check`` names it (the image first), else ''."""
    from portlint.checks.verdict import service_label

    return service_label(exposure)


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


def root(exposure: Exposure) -> str:
    """The Terraform root an exposure is reached from, when the model knows it ('' otherwise)."""
    from portlint.diff import exposure_root

    return exposure_root(exposure)


def shown_root(exposure: Exposure) -> str:
    """The root as a reader needs it: '' for the top folder, which every path is already relative to."""
    name = root(exposure)
    return "" if name in (".", "./") else name


def unit(exposure: Exposure) -> str:
    """The resource, and the root it is reached from: ``module.db.aws_security_group.db in root envs/prod``."""
    name = shown_root(exposure)
    return f"{exposure.resource} in root {name}" if name else exposure.resource


#: what a change without a finding on one side is called (never a bare symbol)
NO_FINDING = "no finding"


def severity(change: Change) -> str:
    """``critical``, ``low → critical``, ``no finding → high`` or ``no finding``."""
    before, after = change.severity_before, change.severity_after
    if change.status == "closed":
        return before.label if before is not None else NO_FINDING
    if change.status == "opened" or before == after:
        return after.label if after is not None else NO_FINDING
    return f"{before.label if before is not None else NO_FINDING} → {after.label if after is not None else NO_FINDING}"


def rules(change: Change) -> str:
    findings = change.findings_after if change.after is not None else change.findings_before
    return ", ".join(sorted({f.rule_id for f in findings}))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


#: how many changes the headline names before "and N more"
HEADLINE_NAMES = 3


def _named(change: Change) -> str:
    e = change.exposure
    before = was(change)
    via = f" (through {', '.join(change.via)})" if change.via else ""
    name = shown_root(e)
    in_root = f" in root {name}" if name else ""
    return (f"{what(e)}{f' ({before})' if before else ''} at {where(e)}{in_root}{via} "
            f"({change.status}, {severity(change)})")


def headline(result: DiffResult) -> str:
    """The one sentence a reviewer reads first: how many opened or widened, and the riskiest by name."""
    from portlint.diff import risk_order

    opened, widened = result.by_status("opened"), result.by_status("widened")
    narrowed, closed = result.by_status("narrowed"), result.by_status("closed")
    errors = result.head.all_errors
    tail = (f" HEAD could not be checked completely ({_plural(len(errors), 'input error')})."
            if errors else "")
    if opened or widened:
        verb = "opens" if not widened else ("widens" if not opened else "opens or widens")
        ranked = sorted(opened + widened, key=risk_order)
        counts: dict[str, int] = {}
        for change in ranked:
            if change.severity is not None:
                counts[change.severity.label] = counts.get(change.severity.label, 0) + 1
        severity_part = f" ({', '.join(f'{n} {label}' for label, n in counts.items())})" if counts else ""
        named = ranked[:HEADLINE_NAMES]
        rest = len(ranked) - len(named)
        listed = "; ".join(_named(c) for c in named) + (f"; and {rest} more" if rest else "")
        return (f"This change {verb} {_plural(len(ranked), 'exposure')}{severity_part}: {listed}.{tail}")
    if narrowed or closed:
        parts = [f"narrows {_plural(len(narrowed), 'exposure')}"] if narrowed else []
        parts += [f"closes {_plural(len(closed), 'exposure')}"] if closed else []
        return f"This change opens nothing; it {' and '.join(parts)}.{tail}"
    return f"This change does not change any port exposure.{tail}"


def notices(result: DiffResult) -> list[str]:
    """What must not hide in a folded block: configuration changes and newly silenced findings."""
    out = []
    if result.config_changes:
        if result.config_source == "base":
            used = f"both sides were judged with BASE's configuration ({result.config_file})"
        elif result.config_source == "none":
            used = "both sides were judged without one, as BASE has none"
        elif result.config_source == "option":
            used = f"both sides were judged with --config {result.config_file}"
        else:
            used = "both sides were judged with the configuration of the current folder"
        out.append(f"Configuration changed: {', '.join(result.config_changes)}; not applied here: {used}. "
                   "Review it: it can silence rules for every later change.")
    quiet = [(c, f) for c in result.newly_suppressed for f in c.newly_suppressed]
    if quiet:
        shown = "; ".join(f"{f.rule_id} [{f.severity.label}] at {where(f.exposure)}" for _, f in quiet[:5])
        more = f"; and {len(quiet) - 5} more" if len(quiet) > 5 else ""
        out.append(f"Newly silenced by inline comments: {_plural(len(quiet), 'finding')} ({shown}{more}).")
    return out


def summary(result: DiffResult) -> str:
    counts = result.counts()
    return ", ".join(f"{n} {status}" for status, n in counts.items()) + "."

