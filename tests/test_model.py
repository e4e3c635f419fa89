from __future__ import annotations

import dataclasses

import pytest

from portlint.model import Exposure, Finding, Location, PortRange, Severity


def test_port_range_rules():
    r = PortRange(1000, 2000)
    assert r.size == 1001 and str(r) == "1000-2000" and str(PortRange.single(22)) == "22"
    assert r.overlaps(PortRange(2000, 3000)) and not r.overlaps(PortRange(2001, 3000))
    assert r.contains(PortRange(1500, 1600)) and not r.contains(PortRange(900, 1100))
    assert r.intersection(PortRange(1900, 2100)) == PortRange(1900, 2000)
    assert r.intersection(PortRange(3000, 3001)) is None
    assert PortRange(0, 65535).is_all and PortRange(1, 65535).is_all and not PortRange(2, 65535).is_all
    with pytest.raises(ValueError):
        PortRange(10, 5)
    with pytest.raises(ValueError):
        PortRange(1, 70000)


def test_severity_parse():
    assert Severity.parse("High") is Severity.HIGH
    assert Severity.CRITICAL > Severity.MEDIUM
    with pytest.raises(ValueError, match="unknown severity"):
        Severity.parse("urgent")


def _exposure(line: int) -> Exposure:
    return Exposure(kind="compose", location=Location("a.yml", line, line, 9), resource="services.db",
                    protocol="tcp", port_range=PortRange(5432, 5432), sources=("0.0.0.0",), scope="internet")


def test_records_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        _exposure(1).scope = "private"  # type: ignore[misc]


def test_fingerprint_ignores_line_numbers():
    a = Finding("PL101", "risky-service-public", Severity.HIGH, "m", _exposure(3))
    b = Finding("PL101", "risky-service-public", Severity.HIGH, "m", _exposure(30))
    c = Finding("PL102", "all-ports-public", Severity.HIGH, "m", _exposure(3))
    assert a.fingerprint == b.fingerprint != c.fingerprint
