"""IP protocol names and port ranges as portlint writes them, from the spellings of every format."""

from __future__ import annotations

from portlint.model import PortRange

ALL_PORTS = PortRange(0, 65535)
#: Words that mean "every port" in firewall formats.
WILDCARD_PORTS = frozenset({"*", "any", "all", ""})


def _number(text: str) -> int | None:
    """ASCII decimal digits as an int (at most 6 of them); None for anything else.

    ``int()`` alone accepts ``²``-style digits only partly (``str.isdigit`` says yes, ``int`` says no),
    other scripts' digits, underscores and thousands of digits; port and protocol numbers are none of those.
    """
    if 0 < len(text) <= 6 and text.isascii() and text.isdigit():
        return int(text)
    return None


def parse_port_text(value: object) -> PortRange:
    """``22``, ``"22"``, ``"8000-8100"``, ``"*"``, ``"any"`` -> a range; raises ValueError."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        value = int(value)  # 22.0 from arithmetic is port 22
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"a port must be a number or a text such as '8000-8100', got {_shown(value)}")
    if isinstance(value, int):
        if not 0 <= value <= 65535:
            raise ValueError(f"{_shown(value)} is not a port within 0-65535")
        return PortRange(value, value)
    text = value.strip().lower()
    if text in WILDCARD_PORTS:
        return ALL_PORTS
    start, sep, end = text.partition("-")
    low, high = _number(start.strip()), _number(end.strip()) if sep else _number(start.strip())
    if low is None or high is None:
        raise ValueError(f"{_shown(value)} is not a port or port range")
    if not 0 <= low <= high <= 65535:
        raise ValueError(f"{_shown(value)} is not a port range from low to high within 0-65535")
    return PortRange(low, high)


def _shown(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**12:
        return "a number too large to be a port"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

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
    if isinstance(value, int):
        value = value if -1 <= value <= 255 else "?"
    text = str(value).strip().lower() if isinstance(value, (str, int, float)) else ""
    if not text:
        return None
    if text in _ALIASES:
        return _ALIASES[text]
    number = _number(text.removeprefix("-"))
    if number is not None:
        if text.startswith("-"):
            return "all" if number == 1 else None
        return PROTOCOL_NUMBERS.get(number, str(number)) if 0 <= number <= 255 else None
    return text if text in KNOWN_NAMES else None
