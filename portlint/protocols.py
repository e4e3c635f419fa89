"""IP protocol names and port ranges as portlint writes them, from the spellings of every format."""

from __future__ import annotations

from portlint.model import PortRange

ALL_PORTS = PortRange(0, 65535)
#: Words that mean "every port" in firewall formats.
WILDCARD_PORTS = frozenset({"*", "any", "all", ""})


def parse_port_text(value: object) -> PortRange:
    """``22``, ``"22"``, ``"8000-8100"``, ``"*"``, ``"any"`` -> a range; raises ValueError."""
    text = str(value).strip().lower()
    if text in WILDCARD_PORTS:
        return ALL_PORTS
    start, sep, end = text.partition("-")
    try:
        low, high = int(start), int(end) if sep else int(start)
    except ValueError:
        raise ValueError(f"{value!r} is not a port or port range") from None
    if not 0 <= low <= high <= 65535:
        raise ValueError(f"{value!r} is not a port range from low to high within 0-65535")
    return PortRange(low, high)

#: IANA protocol numbers portlint names (others keep their number as text).
PROTOCOL_NUMBERS = {
    1: "icmp", 2: "igmp", 4: "ipip", 6: "tcp", 17: "udp", 41: "ipv6", 47: "gre", 50: "esp",
    51: "ah", 58: "icmpv6", 89: "ospf", 103: "pim", 112: "vrrp", 132: "sctp",
}
_ALIASES = {
    "-1": "all", "all": "all", "any": "all", "*": "all", "ip": "all",
    "icmp-v6": "icmpv6", "ipv6-icmp": "icmpv6", "icmp6": "icmpv6",
}
KNOWN_NAMES = frozenset(PROTOCOL_NUMBERS.values()) | {"all"}

#: Protocols whose exposures have ports; the others are judged as a whole.
PORTED = frozenset({"tcp", "udp", "sctp", "all"})


def normalize_protocol(value: object) -> str | None:
    """``"-1"``, ``"Tcp"``, ``6``, ``"17"`` ... -> ``all``, ``tcp``, ``tcp``, ``udp``; None if not a protocol."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _ALIASES:
        return _ALIASES[text]
    if text.lstrip("-").isdigit():
        number = int(text)
        if number == -1:
            return "all"
        return PROTOCOL_NUMBERS.get(number, str(number)) if 0 <= number <= 255 else None
    return text if text in KNOWN_NAMES else None
