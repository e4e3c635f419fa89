"""One verdict per port entry: who runs there, and which service rule speaks for it.

Several rules judge what service sits behind a port: the risk-list rules
(PL101 risky service, PL105 UDP reflector, PL106 clear text), PL302 (a known
database or admin image published on every interface) and PL401 (a port no
registry explains). On one exposure they used to speak at once; here every
candidate is computed once, the most severe one is reported and the others
are named in its message.

Identity comes from the image first (``rules/images.yaml``): when the image is
known, only the risk entries that image lists count for its ports, so ESPHome
on 6052 is never reported as X11; the message names the port's registered
service ("port 6052 (IANA: x11)") without claiming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from portlint.checks import Hit, RuleContext
from portlint.checks.describe import ports_label, reach_phrase, services_in_range, services_label
from portlint.checks.fixes import advice, fix
from portlint.model import Exposure, Severity
from portlint.protocols import PORTED
from portlint.reference import ImageEntry, RiskEntry, RiskList, image_entry

#: the rules that name the service behind a port, in the order that wins a tie
SERVICE_RULES = ("PL101", "PL105", "PL106", "PL302", "PL401")
_LABELS = {
    "PL101": "risky service", "PL105": "UDP reflector", "PL106": "clear-text protocol",
    "PL302": "known image published", "PL401": "unexplained port",
}
#: ranges wider than this are judged by the range rules, not service by service
WIDE_RANGE = 100
WILDCARD_BINDS = frozenset({"0.0.0.0", "::"})
_UNCERTAIN = frozenset({"unresolved-port", "invalid-ports", "invalid-protocol"})
#: traits that keep an exposure from the service rules: uncertain ports or protocol, or a network
#: ACL's return-traffic allow (PL107 judges those)
_SETTLED = _UNCERTAIN | {"second-layer"}
_CACHE_KEY = "_service_verdicts"
_CHAIN_KEY = "_service_chains"


@dataclass(frozen=True, slots=True)
class Identity:
    """What runs behind an exposure's service ports."""

    image: ImageEntry | None
    #: risk entries that apply: those of the image when it is known, else those of the port
    entries: tuple[RiskEntry, ...]
    #: port-number entries the known image contradicts (never reported as the service)
    contradicted: tuple[RiskEntry, ...]
    #: the risk entries the image's own row names, whatever the port
    linked: tuple[RiskEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    severity: Severity
    #: what is exposed and why it matters
    message: str
    #: how to fix it (``portlint.checks.fixes``), said last: "; bind it to loopback ..."
    fix: str = ""

    @property
    def text(self) -> str:
        return self.message + self.fix


def public_ingress(e: Exposure) -> bool:
    """An allowed inbound exposure from the internet, on a protocol that has ports."""
    return (e.scope == "internet" and e.action == "allow" and e.direction == "ingress"
            and e.protocol in PORTED and _SETTLED.isdisjoint(e.traits))


def identify(e: Exposure, ctx: RuleContext) -> Identity:
    return identify_with(e, ctx.risks)


def identify_with(e: Exposure, risks: RiskList) -> Identity:
    """What runs behind ``e``: decided by its protocol, service ports, image and whether it is a web
    front end alone, so worked out once per risk list for each such combination."""
    key = (e.protocol, e.service_ports, e.image, "web-frontend" in e.traits)
    known = risks.identities
    found = known.get(key)
    if found is None:
        if len(known) >= _IDENTITIES_KEPT:
            known.clear()  # a process that checks tree after tree keeps a bounded number
        found = known[key] = _identify(risks, *key)
    return found


#: at most this many combinations are remembered per risk list
_IDENTITIES_KEPT = 65536


def _identify(risks: RiskList, protocol: str, ports, image_name: str, web_frontend: bool) -> Identity:
    by_port = risks.matching(protocol, ports)
    image = image_entry(image_name)
    if web_frontend:
        # a web port in front of a generic HTTP app port (rules/web-app-ports.yaml): the port number
        # is no evidence of what runs; only the image's own risk entries count
        by_port = [r for r in by_port if image is not None and r.id in image.risks]
    if image is None:
        return Identity(None, tuple(by_port), ())
    kept = [r for r in by_port if r.id in image.risks]
    contradicted = tuple(r for r in by_port if r.id not in image.risks)
    linked = tuple(risks.by_id[r] for r in image.risks if r in risks.by_id)
    return Identity(image, tuple(kept), contradicted, linked)


def service_label(e: Exposure, risks: RiskList | None = None) -> str:
    """What runs behind ``e``, for inventories and diffs (``""`` when nothing says): the image's
    service when ``rules/images.yaml`` knows the image (ESPHome on 6052, never X11), else the risk
    list's services for the port, else the port registry's name. The one naming every output uses,
    so the inventory cannot contradict the findings of ``check``."""
    ports = e.service_ports
    if "unresolved-port" in e.traits or ports.size > WIDE_RANGE:
        return ""
    if risks is None:
        from portlint.reference import load_risk_list

        risks = load_risk_list()
    identity = identify_with(e, risks)
    if identity.image is not None:
        return identity.image.service
    if identity.entries:
        return services_label(list(identity.entries))
    if "web-frontend" in e.traits or ports.size != 1 or e.protocol not in ("tcp", "udp", "sctp"):
        return ""
    from portlint.registry import load_registry

    found = load_registry().by_port(ports.start, e.protocol)
    return found[0].name if found else ""


def registered_name(e: Exposure, identity: Identity) -> str:
    """``port 6052 (IANA: x11)``: the port and what the registry says, not what runs."""
    ports = e.service_ports
    if ports.size != 1:
        return f"ports {ports}"
    from portlint.registry import load_registry

    iana = [s.name for s in load_registry().by_port(ports.start, e.protocol) if s.origin == "iana"]
    name = iana[0] if iana else (identity.contradicted[0].id if identity.contradicted else "")
    return f"port {ports} (IANA: {name})" if name else f"port {ports}"


def image_source(e: Exposure) -> str:
    """``; image set at base.yaml:4`` when another file (an override, an extended service) sets it."""
    for step in e.origins:
        if step.label.startswith("image ") and step.file != e.location.file:
            return f"; the image is set at {step.file}:{step.line}"
    return ""


def _risk_candidate(code: str, e: Exposure, identity: Identity) -> Candidate | None:
    if not public_ingress(e) or e.service_ports.is_all or e.service_ports.size > WIDE_RANGE:
        return None
    if "host-network" in e.traits and e.protocol == "all":
        return None
    entries = [r for r in identity.entries if r.rule == code]
    if not entries:
        return None
    if e.service_ports.size == 1:
        what = f"{services_label(entries)} ({ports_label(e)}) {reach_phrase(e)}"
    else:
        reach = reach_phrase(e).replace("is ", "are ", 1)
        what = f"Ports {ports_label(e)} {reach}, including {services_in_range(entries, e)}"
    what = what[0].upper() + what[1:]
    return Candidate(code, entries[0].severity, f"{what}{image_source(e)}", fix(e))


def _image_candidate(e: Exposure, identity: Identity) -> Candidate | None:
    """PL302: a known image whose ports face every interface (Compose) or the internet (Services)."""
    image = identity.image
    if image is None or not public_ingress(e) or e.service_ports.size > WIDE_RANGE:
        return None
    if "host-network" in e.traits and e.protocol == "all":
        return None  # PL301 names the image
    if "published" in e.traits and not set(e.sources) <= WILDCARD_BINDS:
        return None
    if any(r.severity >= Severity.MEDIUM for r in identity.entries):
        return None  # the port is the image's own risky port: the risk rules name it
    if image.category == "app" and not identity.contradicted:
        return None  # an application on its own port is what the file is for
    if image.severity is not None:
        severity = image.severity
    elif image.category == "app":
        severity = Severity.INFO
    else:
        linked = [r.severity for r in identity.linked if r.protocols & {e.protocol, "tcp"}]
        default = Severity.HIGH if image.category == "database" else Severity.MEDIUM
        severity = max([default, *linked])
    port = registered_name(e, identity) if identity.contradicted else ports_label(e)
    reach = reach_phrase(e)
    if image.category == "app":
        text = (f"{e.resource} runs {image.service} ({e.image}) on {port}, which {reach}; "
                f"the image, not the port number, says what runs here{image_source(e)}")
        return Candidate("PL302", severity, text)
    suffix = "; Docker bypasses host firewalls such as ufw" if "published" in e.traits else ""
    text = f"{e.resource} runs {image.service} ({e.image}) and {port} {reach}{image_source(e)}{suffix}"
    return Candidate("PL302", severity, text, fix(e))


def _unregistered_candidate(e: Exposure, identity: Identity, ctx: RuleContext) -> Candidate | None:
    if not public_ingress(e) or e.service_ports.size > 64 or e.traits & {"ephemeral-host-port", "host-network"}:
        return None
    if identity.image is not None or ctx.risks.matching(e.protocol, e.service_ports):
        return None  # the image or the risk list says what it is
    from portlint.registry import load_registry

    if load_registry().explains(e.protocol, e.service_ports):
        return None
    how = advice(e)
    how = f"; say what it is for, or {how}" if how else "; say what it is for, or close it"
    return Candidate("PL401", Severity.INFO, f"{ports_label(e)} {reach_phrase(e)}, and no known service uses it", how)


def candidates(e: Exposure, ctx: RuleContext) -> list[Candidate]:
    """Every service rule's verdict on ``e`` (computed once per exposure and run)."""
    return list(_candidates(e, ctx))


def _candidates(e: Exposure, ctx: RuleContext) -> tuple[Candidate, ...]:
    if not public_ingress(e):
        return ()  # every service rule judges public ingress only
    # keyed by identity (an Exposure's hash walks all its fields); the entry keeps ``e`` alive,
    # so its id is not reused, and an equal exposure that is another object is judged again
    cache = ctx.options.get(_CACHE_KEY)
    if cache is None:
        cache = ctx.options[_CACHE_KEY] = {}
    entry = cache.get(id(e))
    if entry is None or entry[0] is not e:
        identity = identify(e, ctx)
        if identity.entries:
            found = (_risk_candidate("PL101", e, identity), _risk_candidate("PL105", e, identity),
                     _risk_candidate("PL106", e, identity))
        else:
            found = ()  # no risk entry applies: the risk rules have nothing to say
        found += (_image_candidate(e, identity), _unregistered_candidate(e, identity, ctx))
        entry = cache[id(e)] = (e, tuple(c for c in found if c is not None))
    return entry[1]


def verdict(code: str, e: Exposure, ctx: RuleContext) -> Candidate | None:
    """``code``'s candidate when it is the one verdict for ``e``, the others named in its message
    (before the fix: ``.text`` is the finding's message).

    Only rules that run count (``--ignore``/``--select``), and a configured
    severity (``severity:`` in ``.portlint.yaml``) decides as it would be reported.
    """
    ranked = _chain(e, ctx)
    return ranked[0] if ranked and ranked[0].code == code else None


def verdict_hits(code: str, e: Exposure, ctx: RuleContext) -> tuple[Hit, ...]:
    """A service rule's ``check``: its hit when its candidate is the verdict for ``e``, else none."""
    ranked = _chain(e, ctx)
    if ranked and ranked[0].code == code:
        found = ranked[0]
        return (Hit(e, found.text, found.severity),)
    return ()


def verdict_check(self, e: Exposure, ctx: RuleContext) -> tuple[Hit, ...]:
    """The ``check`` of every service rule: ``verdict_hits`` of the rule's own code. The engine
    asks for the hits of the rules whose ``check`` is this function in one pass (``verdicts``)."""
    return verdict_hits(self.code, e, ctx)


def verdicts(exposures: list[Exposure], ctx: RuleContext) -> dict[str, list[Hit]]:
    """What ``verdict_hits(code, e, ctx)`` returns for every exposure in turn, by ``code``: each
    exposure's verdict is asked for once instead of once per service rule."""
    found: dict[str, list[Hit]] = {}
    for e in exposures:
        ranked = _chain(e, ctx)
        if ranked:
            first = ranked[0]
            hits = found.get(first.code)
            if hits is None:
                hits = found[first.code] = []
            hits.append(Hit(e, first.text, first.severity))
    return found


def chain(e: Exposure, ctx: RuleContext) -> list[Candidate]:
    """The running service rules' candidates for ``e``, most severe first, each naming the ones
    after it in its message. The first is the verdict; when a suppression, an ``accept`` entry or
    a per-file ignore silences it, the engine reports the next one instead (a silenced PL101 must
    not hide the PL106 on the same exposure)."""
    return list(_chain(e, ctx))


def _chain(e: Exposure, ctx: RuleContext) -> tuple[Candidate, ...]:
    if not public_ingress(e):
        return ()  # no service rule judges it: nothing to rank
    options = ctx.options
    active = options.get("active_rules")
    overrides = options.get("severity_overrides")
    # every service rule asks for the same exposure's chain: ranked once per exposure and settings
    memo = options.get(_CHAIN_KEY)
    if memo is None or memo[0] is not active or memo[1] is not overrides:
        memo = options[_CHAIN_KEY] = (active, overrides, {})
    # keyed by identity, as in ``_candidates``
    entry = memo[2].get(id(e))
    if entry is None or entry[0] is not e:
        entry = memo[2][id(e)] = (e, _ranked(e, ctx, active, overrides or {}))
    return entry[1]


def _ranked(e: Exposure, ctx: RuleContext, active, forced) -> tuple[Candidate, ...]:
    found = [c for c in _candidates(e, ctx) if active is None or c.code in active]
    if len(found) < 2:
        return tuple(found)  # nothing to rank, nobody to name

    def level(c: Candidate) -> Severity:
        text = forced.get(c.code)
        try:
            return Severity.parse(text) if text else c.severity
        except ValueError:
            return c.severity

    found.sort(key=lambda c: (level(c), -SERVICE_RULES.index(c.code)), reverse=True)
    ranked = []
    for i, c in enumerate(found):
        after = sorted(found[i + 1:], key=lambda o: SERVICE_RULES.index(o.code))
        named = ", ".join(f"{o.code} {_LABELS[o.code]}, {level(o).label}" for o in after)
        ranked.append(Candidate(c.code, c.severity, f"{c.message} (also: {named})", c.fix) if named else c)
    return tuple(ranked)
