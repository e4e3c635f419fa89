"""Every Compose port syntax, down to line and column."""

from __future__ import annotations

import pytest

from portlint.model import EPHEMERAL_PORTS, PortRange
from tests.conftest import parse_compose


def only(outcome):
    assert not outcome.errors, outcome.errors
    assert len(outcome.exposures) == 1, outcome.exposures
    return outcome.exposures[0]


def one_entry(entry: str):
    return only(parse_compose(f"""
        services:
          app:
            image: example/app
            ports:
              - {entry}
        """))


@pytest.mark.parametrize("entry, host, target, proto, sources, scope", [
    ('"8080:80"', (8080, 8080), (80, 80), "tcp", ("0.0.0.0", "::"), "internet"),
    ("22:22", (22, 22), (22, 22), "tcp", ("0.0.0.0", "::"), "internet"),          # YAML 1.1 base-60
    ("8080:80", (8080, 8080), (80, 80), "tcp", ("0.0.0.0", "::"), "internet"),
    ('"127.0.0.1:8001:8001"', (8001, 8001), (8001, 8001), "tcp", ("127.0.0.1",), "local"),
    ('"127.0.0.1:5000-5010:5000-5010"', (5000, 5010), (5000, 5010), "tcp", ("127.0.0.1",), "local"),
    ('"9090-9091:8080-8081"', (9090, 9091), (8080, 8081), "tcp", ("0.0.0.0", "::"), "internet"),
    ('"8000-9000:80"', (8000, 9000), (80, 80), "tcp", ("0.0.0.0", "::"), "internet"),
    ('"::1:6000:6000"', (6000, 6000), (6000, 6000), "tcp", ("::1",), "local"),
    ('"[::1]:6001:6001"', (6001, 6001), (6001, 6001), "tcp", ("::1",), "local"),
    ('"[2001:db8::5]:443:8443"', (443, 443), (8443, 8443), "tcp", ("2001:db8::5",), "internet"),
    ('"[::]:53:53/udp"', (53, 53), (53, 53), "udp", ("::",), "internet"),
    ('"6060:6060/udp"', (6060, 6060), (6060, 6060), "udp", ("0.0.0.0", "::"), "internet"),
    ('"3868:3868/sctp"', (3868, 3868), (3868, 3868), "sctp", ("0.0.0.0", "::"), "internet"),
    ('"10.0.0.5:5432:5432"', (5432, 5432), (5432, 5432), "tcp", ("10.0.0.5",), "private"),
    ('"203.0.113.10:3389:3389"', (3389, 3389), (3389, 3389), "tcp", ("203.0.113.10",), "internet"),
    ("6379:6379/TCP", (6379, 6379), (6379, 6379), "tcp", ("0.0.0.0", "::"), "internet"),
])
def test_short_syntax(entry, host, target, proto, sources, scope):
    e = one_entry(entry)
    assert e.port_range == PortRange(*host)
    assert e.target_port_range == PortRange(*target)
    assert (e.protocol, e.sources, e.scope) == (proto, sources, scope)
    assert (e.location.line, e.location.column, e.location.end_line) == (5, 9, 5)
    assert e.resource == "services.app"
    assert "published" in e.traits


@pytest.mark.parametrize("entry", ['"2375"', "2375", '"2375/tcp"'])
def test_container_only_port_is_ephemeral_on_all_interfaces(entry):
    e = one_entry(entry)
    assert e.port_range == PortRange(*EPHEMERAL_PORTS)
    assert e.target_port_range == PortRange(2375, 2375)
    assert e.service_ports == PortRange(2375, 2375)
    assert e.scope == "internet"
    assert "ephemeral-host-port" in e.traits


def test_container_range_only():
    e = one_entry('"3000-3005"')
    assert e.target_port_range == PortRange(3000, 3005)
    assert "ephemeral-host-port" in e.traits


def test_ip_with_empty_host_port_is_ephemeral_on_that_ip():
    e = one_entry('"127.0.0.1::5000"')
    assert e.sources == ("127.0.0.1",) and e.scope == "local"
    assert "ephemeral-host-port" in e.traits


def test_flow_sequence_items_have_their_own_columns():
    outcome = parse_compose("""
        services:
          web:
            ports: ["0.0.0.0:80:80", 443]
        """)
    cols = [(e.location.line, e.location.column) for e in outcome.exposures]
    assert cols == [(3, 13), (3, 30)]


def test_long_syntax():
    outcome = parse_compose("""
        services:
          db:
            image: postgres:16
            ports:
              - name: pg
                target: 5432
                published: "15432"
                host_ip: 0.0.0.0
                protocol: tcp
                mode: host
              - target: 8080
                host_ip: 127.0.0.1
                published: 8080-8081
              - target: 53
                published: 53
                protocol: udp
              - target: 9000
        """)
    assert not outcome.errors
    first, second, third, fourth = outcome.exposures
    assert (first.location.line, first.location.end_line, first.location.column) == (5, 10, 9)
    assert first.port_range == PortRange(15432, 15432) and first.target_port_range == PortRange(5432, 5432)
    assert first.sources == ("0.0.0.0",) and first.scope == "internet"
    assert second.port_range == PortRange(8080, 8081) and second.scope == "local"
    assert (second.location.line, second.location.end_line) == (11, 13)
    assert third.protocol == "udp" and third.scope == "internet"
    assert "ephemeral-host-port" in fourth.traits and fourth.service_ports == PortRange(9000, 9000)


def test_expose_is_internal_only():
    outcome = parse_compose("""
        services:
          cache:
            image: redis
            expose:
              - "6379"
              - 8080-8085/tcp
              - 9999/udp
        """)
    assert not outcome.errors
    lines = [e.location.line for e in outcome.exposures]
    assert lines == [5, 6, 7]
    assert all(e.scope == "private" and "expose-only" in e.traits for e in outcome.exposures)
    assert outcome.exposures[1].port_range == PortRange(8080, 8085)
    assert outcome.exposures[2].protocol == "udp"


def test_network_mode_host():
    outcome = parse_compose("""
        services:
          agent:
            image: example/agent
            network_mode: host
            expose: ["9100"]
          other:
            network_mode: "service:agent"
        """)
    assert not outcome.errors
    host, port = outcome.exposures
    assert (host.location.line, host.protocol, host.port_range) == (4, "all", PortRange(0, 65535))
    assert "host-network" in host.traits and host.scope == "internet"
    assert port.location.line == 5 and port.port_range == PortRange(9100, 9100)
    assert "host-network" in port.traits and port.scope == "internet"


def test_merge_keys_and_reset_tags_load():
    outcome = parse_compose("""
        x-db: &db
          ports:
            - "5432:5432"
        services:
          db:
            <<: *db
            image: postgres
          web:
            ports: !reset []
          api:
            ports: !override
              - "127.0.0.1:8000:8000"
        """)
    assert not outcome.errors
    assert [(e.resource, e.location.line) for e in outcome.exposures] == [
        ("services.db", 3), ("services.api", 12)]
