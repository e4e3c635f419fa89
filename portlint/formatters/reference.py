"""Rendering of rule lists, rule documentation and port look-ups."""

from __future__ import annotations

import json

from portlint.formatters.escape import json_safe, visible, visible_lines
from portlint.model import PortRange


def rule_origin(cls) -> str:
    origin = getattr(cls, "origin", None)
    if origin:
        return origin
    module = cls.__module__
    return "built-in" if module.startswith("portlint.") else module.split(".")[0]


def render_rules(classes, fmt: str) -> str:
    rows = [{"code": c.code, "name": c.name, "severity": c.severity.label, "summary": c.summary,
             "source": rule_origin(c)} for c in sorted(classes, key=lambda c: c.code)]
    if fmt == "json":
        return json.dumps(json_safe({"schema_version": 1, "rules": rows}), indent=2) + "\n"
    rows = [{k: visible(v) for k, v in row.items()} for row in rows]  # declarative rules come from files
    header = {"code": "CODE", "name": "NAME", "severity": "SEVERITY", "source": "SOURCE", "summary": "SUMMARY"}
    keys = ["code", "name", "severity", "source", "summary"]
    widths = {k: max(len(str(r[k])) for r in rows + [header]) for k in keys[:-1]}
    lines = ["  ".join(str(row[k]).ljust(widths[k]) for k in keys[:-1]) + "  " + row["summary"]
             for row in [header] + rows]
    return "\n".join(lines) + "\n"


def rule_markdown(cls) -> str:
    """A rule's documentation page: title, metadata, then its docstring sections."""
    doc = cls.doc()
    summary, _, body = doc.partition("\n")
    lines = [f"# {cls.code} {cls.name}", "", summary.strip(), "",
             f"- Default severity: {cls.severity.label}", f"- Source: {rule_origin(cls)}", "", body.strip(), ""]
    return visible_lines("\n".join(lines))  # a declarative rule's text comes from a rule file


def _parse_query(query: str) -> PortRange | None:
    start, sep, end = query.strip().partition("-")
    if start.isdigit() and (not sep or end.isdigit()):
        low, high = int(start), int(end) if sep else int(start)
        if 0 <= low <= high <= 65535:
            return PortRange(low, high)
    return None


def port_report(query: str) -> dict:
    """Registry services and risk entries for a port, range or service name."""
    from portlint.reference import load_risk_list
    from portlint.registry import load_registry

    registry, risks = load_registry(), load_risk_list()
    ports = _parse_query(query)
    if ports is not None:
        services = []
        for number in range(ports.start, min(ports.end, ports.start + 200) + 1):
            services.extend(s for s in registry.by_port(number) if s not in services)
        entries = risks.matching("all", ports)
        if ports.start == 0 and not any(s.ports.start == 0 for s in services):
            from portlint.registry import Service

            # IANA lists port 0 as Reserved without a service name, so the registry table skips it
            services.insert(0, Service(PortRange(0, 0), frozenset({"tcp", "udp"}), "reserved",
                                       "Reserved; a program that binds port 0 gets a free port the system picks",
                                       "iana"))
    else:
        services = registry.by_name(query)[:25]
        needle = query.strip().lower()
        entries = [e for e in risks.entries if needle in e.service.lower() or needle == e.id]
        if not entries and services:
            first = services[0]
            entries = risks.matching("all", first.ports)
    return {
        "query": query,
        "services": [{"ports": str(s.ports), "protocols": sorted(s.protocols), "name": s.name,
                      "description": s.description, "origin": s.origin} for s in services],
        "risks": [{"id": e.id, "service": e.service, "ports": e.ports_text(), "protocols": sorted(e.protocols),
                   "severity": e.severity.label, "rule": e.rule, "reason": e.reason,
                   "sources": [{"ref": ref, "url": risks.source_url(ref)} for ref in e.sources]}
                  for e in entries],
    }


def render_port_text(report: dict) -> str:
    lines = []
    if report["services"]:
        lines.append("Registered services:")
        for s in report["services"]:
            origin = "IANA" if s["origin"] == "iana" else "de-facto"
            text = s["name"] if s["description"] in ("", s["name"]) else f"{s['name']}: {s['description']}"
            lines.append(f"  {s['ports']}/{','.join(s['protocols'])}  {text}  [{origin}]")
    for r in report["risks"]:
        lines += ["", f"Risk entry {r['id']}: {r['service']} ({r['ports']}/{','.join(r['protocols'])}), "
                      f"severity {r['severity']}, reported by {r['rule']}", f"  {r['reason']}", "  Sources:"]
        lines += [f"    - {src['ref']}" + (f" <{src['url']}>" if src["url"] else "") for src in r["sources"]]
    if not report["risks"]:
        lines += ["", "Not on portlint's risk list."]
    return "\n".join(lines) + "\n"
