"""The grammar of Compose ``ports`` and ``expose`` entries, with no YAML in sight.

Short syntax is ``[[IP:]HOST:]CONTAINER[/PROTOCOL]``, split the way the Docker
engine splits it: the last field is the container side, the one before it the
host side, anything before that the host IP (so bare IPv6 such as
``::1:6000:6000`` works as well as ``[::1]:6001:6001``).
"""

from __future__ import annotations

from dataclasses import dataclass

from portlint.model import PortRange
from portlint.parsers.interpolation import UNRESOLVED_MARK

PROTOCOLS = ("tcp", "udp", "sctp")


class PortSpecError(ValueError):
    """An entry that is not a valid port specification."""


@dataclass(frozen=True, slots=True)
class PortSpec:
    """One published (or exposed) port entry after parsing.

    ``host_ports`` is None when Docker picks an ephemeral host port; ``host_ip``
    is None when the entry binds every interface. The ``*_unresolved`` flags say
    which part came from an unset variable.
    """

    container_ports: PortRange | None
    protocol: str
    host_ports: PortRange | None = None
    host_ip: str | None = None
    host_ip_unresolved: bool = False
    host_ports_unresolved: bool = False
    container_unresolved: bool = False


def parse_range(text: str, what: str) -> PortRange:
    """``"80"`` or ``"8000-8010"`` as a PortRange; raises PortSpecError."""
    text = text.strip()
    start_text, sep, end_text = text.partition("-")
    start_text, end_text = start_text.strip(), end_text.strip()
    # ASCII digits only: int() would also take "١٢", "1_000" and "+80"
    if not (_is_number(start_text) and (not sep or _is_number(end_text))):
        raise PortSpecError(f"{what} {text!r:.80} is not a port or port range")
    start = int(start_text)
    end = int(end_text) if sep else start
    for port in (start, end):
        if not 0 < port <= 65535:
            raise PortSpecError(f"{what} {port} is outside 1-65535")
    if end < start:
        raise PortSpecError(f"{what} range {text!r} ends before it starts")
    return PortRange(start, end)


def _is_number(text: str) -> bool:
    return 0 < len(text) <= 5 and text.isascii() and text.isdigit()


def _split_protocol(text: str) -> tuple[str, str]:
    body, sep, proto = text.rpartition("/")
    if not sep:
        return text, "tcp"
    proto = proto.strip().lower() or "tcp"
    if proto not in PROTOCOLS:
        raise PortSpecError(f"unknown protocol {proto!r} (Compose accepts tcp, udp, sctp)")
    return body, proto


#: entry text (or long-syntax fields) -> its PortSpec: the same short entries (``"80:80"``,
#: ``"5432"``) recur across files, and a PortSpec is immutable. Only entries that parse are kept
#: (an error is raised afresh each time); bounded in entries and text length.
_PARSED: dict[object, PortSpec] = {}
_PARSED_MAX = 4096
_PARSED_TEXT = 64


def _remember(key: object, spec: PortSpec) -> PortSpec:
    if len(_PARSED) < _PARSED_MAX:
        _PARSED[key] = spec
    return spec


def parse_short(text: str) -> PortSpec:
    """Parse a short-syntax ``ports`` entry (already interpolated)."""
    if len(text) <= _PARSED_TEXT:
        key = ("short", text)
        found = _PARSED.get(key)
        return found if found is not None else _remember(key, _parse_short(text))
    return _parse_short(text)


def _parse_short(text: str) -> PortSpec:
    text = text.strip()
    if not text:
        raise PortSpecError("empty port entry")
    body, protocol = _split_protocol(text)
    fields = body.rsplit(":", 2)
    container_text = fields[-1]
    host_text = fields[-2] if len(fields) >= 2 else None
    ip_text = fields[0] if len(fields) == 3 else None
    if ip_text is not None and "]" not in ip_text and ip_text.startswith("["):
        raise PortSpecError(f"unbalanced brackets in host IP {ip_text!r}")
    # A bracketed IPv6 host swallows colons: "[::1]:6001:6001" splits right, "[::1]:80" does not.
    if ip_text is None and host_text is not None and host_text.endswith("]"):
        raise PortSpecError(f"{text!r} names a host IP but no host port")

    container_unresolved = UNRESOLVED_MARK in container_text
    container = None if container_unresolved else parse_range(container_text, "container port")

    host_unresolved = host_text is not None and UNRESOLVED_MARK in host_text
    host_ports = None
    if host_text and not host_unresolved:
        host_ports = parse_range(host_text, "host port")

    host_ip = None
    ip_unresolved = ip_text is not None and UNRESOLVED_MARK in ip_text
    if ip_text and not ip_unresolved:
        host_ip = ip_text.strip()
        if host_ip.startswith("[") and host_ip.endswith("]"):
            host_ip = host_ip[1:-1]
        _check_ip(host_ip)

    if host_ports and container and container.size > 1 and host_ports.size != container.size:
        raise PortSpecError(
            f"host range {host_ports} and container range {container} differ in size")
    return PortSpec(container, protocol, host_ports, host_ip or None, ip_unresolved,
                    host_unresolved, container_unresolved)


#: host IPs already found valid (the same few recur: 0.0.0.0, 127.0.0.1); bounded
_VALID_IPS: set[str] = set()


def _check_ip(address: str) -> None:
    if address in _VALID_IPS:
        return
    import ipaddress

    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise PortSpecError(f"host IP {address!r} is not an IP address") from None
    if len(_VALID_IPS) < _PARSED_MAX and len(address) <= _PARSED_TEXT:
        _VALID_IPS.add(address)


def parse_expose(text: str) -> PortSpec:
    """Parse an ``expose`` entry: ``3000``, ``8080-8085/tcp``."""
    if len(text) <= _PARSED_TEXT:
        key = ("expose", text)
        found = _PARSED.get(key)
        return found if found is not None else _remember(key, _parse_expose(text))
    return _parse_expose(text)


def _parse_expose(text: str) -> PortSpec:
    body, protocol = _split_protocol(text.strip())
    if UNRESOLVED_MARK in body:
        return PortSpec(None, protocol, container_unresolved=True)
    if ":" in body:
        raise PortSpecError(f"expose entry {text!r} names a host port; expose takes container ports only")
    return PortSpec(parse_range(body, "exposed port"), protocol)


def parse_long(
    target: str | None, published: str | None, host_ip: str | None, protocol: str | None
) -> PortSpec:
    """Parse a long-syntax entry from its (interpolated) fields."""
    fields = (target, published, host_ip, protocol)
    if all(field is None or (type(field) is str and len(field) <= _PARSED_TEXT) for field in fields):
        key = ("long", fields)
        found = _PARSED.get(key)
        return found if found is not None else _remember(key, _parse_long(*fields))
    return _parse_long(*fields)


def _parse_long(
    target: str | None, published: str | None, host_ip: str | None, protocol: str | None
) -> PortSpec:
    proto = (protocol or "tcp").strip().lower()
    if UNRESOLVED_MARK in proto:
        proto = "tcp"
    if proto not in PROTOCOLS:
        raise PortSpecError(f"unknown protocol {proto!r} (Compose accepts tcp, udp, sctp)")
    if target is None or not str(target).strip():
        raise PortSpecError("long-syntax port entry has no target")
    container_unresolved = UNRESOLVED_MARK in target
    container = None if container_unresolved else parse_range(target, "target port")
    host_unresolved = published is not None and UNRESOLVED_MARK in published
    host_ports = None
    if published and published.strip() and not host_unresolved:
        host_ports = parse_range(published, "published port")
    ip_unresolved = host_ip is not None and UNRESOLVED_MARK in host_ip
    ip = None
    if host_ip and host_ip.strip() and not ip_unresolved:
        ip = host_ip.strip().strip("[]")
        _check_ip(ip)
    return PortSpec(container, proto, host_ports, ip, ip_unresolved, host_unresolved,
                    container_unresolved)
