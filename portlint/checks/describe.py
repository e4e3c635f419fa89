"""Wording shared by rule messages: what an exposure is and who can reach it."""

from __future__ import annotations

from portlint.model import Exposure
from portlint.reference import RiskEntry

_WILDCARD_BINDS = {
    ("0.0.0.0", "::"): "all host interfaces (0.0.0.0, ::)",
    ("0.0.0.0",): "all IPv4 host interfaces (0.0.0.0)",
    ("::",): "all host interfaces (::)",
}


def ports_label(exposure: Exposure) -> str:
    """``3389/tcp``: the service-side ports and protocol."""
    ports = exposure.service_ports
    if exposure.protocol == "all":
        return "all ports, all protocols" if ports.is_all else f"{ports}/all protocols"
    return f"{ports}/{exposure.protocol}"


def services_label(entries: list[RiskEntry], limit: int = 4) -> str:
    names = []
    for entry in entries:
        if entry.service not in names:
            names.append(entry.service)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def sources_label(exposure: Exposure, limit: int = 3) -> str:
    sources = list(exposure.sources)
    shown = ", ".join(sources[:limit])
    return shown + (f" and {len(sources) - limit} more" if len(sources) > limit else "")


def reach_phrase(exposure: Exposure) -> str:
    """How the exposure is reachable: "is reachable from the internet (0.0.0.0/0)"."""
    traits = exposure.traits
    if "host-network" in traits:
        return "is on every host interface through host networking"
    if "published" in traits:
        where = _WILDCARD_BINDS.get(tuple(exposure.sources), f"host address {sources_label(exposure)}")
        if "ephemeral-host-port" in traits:
            return f"is published on {where} on an ephemeral host port"
        if "unresolved-host-port" in traits:
            return f"is published on {where} on a host port from an unset variable"
        if exposure.target_port_range and exposure.target_port_range != exposure.port_range:
            return f"is published on {where} as host port {exposure.port_range}"
        return f"is published on {where}"
    if exposure.direction == "egress":
        return f"can reach the internet ({sources_label(exposure)})"
    if "k8s-service" in traits and exposure.target_port_range and exposure.target_port_range != exposure.port_range:
        # what the internet connects to is the Service port; what answers is the targetPort behind it
        return (f"is reachable from the internet ({sources_label(exposure)}) on Service port "
                f"{exposure.port_range} (targetPort {exposure.target_port_range})")
    return f"is reachable from the internet ({sources_label(exposure)})"


def services_in_range(entries: list[RiskEntry], exposure: Exposure, limit: int = 4) -> str:
    """``PostgreSQL (5432), VNC (5900-5906)``: risky services inside an exposure's range."""
    ports = exposure.service_ports
    labels = []
    for entry in entries:
        inside = [r.intersection(ports) for r in entry.ports]
        text = ", ".join(str(r) for r in inside if r is not None)
        label = f"{entry.service} ({text})"
        if label not in labels:
            labels.append(label)
    shown = ", ".join(labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")
