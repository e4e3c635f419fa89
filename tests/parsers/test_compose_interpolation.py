"""Compose interpolation in port entries: .env, --env-file, process environment."""

from __future__ import annotations

from portlint.model import PortRange
from tests.conftest import parse_compose

TEXT = """
services:
  db:
    image: postgres
    ports:
      - "${DB_BIND:-127.0.0.1}:${DB_PORT:-5432}:5432"
"""


def exposure(**kw):
    outcome = parse_compose(TEXT, **kw)
    assert not outcome.errors, outcome.errors
    (e,) = outcome.exposures
    return e


def test_defaults_apply_when_unset():
    e = exposure()
    assert e.sources == ("127.0.0.1",) and e.port_range == PortRange(5432, 5432)


def test_dotenv_beside_the_file():
    e = exposure(files={"/project/.env": "DB_BIND=0.0.0.0\nDB_PORT=15432\n"})
    assert e.sources == ("0.0.0.0",) and e.scope == "internet"
    assert e.port_range == PortRange(15432, 15432) and e.target_port_range == PortRange(5432, 5432)


def test_process_environment_wins_over_dotenv():
    e = exposure(files={"/project/.env": "DB_BIND=0.0.0.0\n"}, environ={"DB_BIND": "10.1.2.3"})
    assert e.sources == ("10.1.2.3",) and e.scope == "private"


def test_env_file_replaces_dotenv_and_later_files_win():
    e = exposure(files={"/project/.env": "DB_BIND=0.0.0.0\n", "/a.env": "DB_BIND=10.0.0.1\nDB_PORT=1\n",
                        "/b.env": "DB_PORT=2345\n"},
                 env_files=["/a.env", "/b.env"])
    assert e.sources == ("10.0.0.1",) and e.port_range == PortRange(2345, 2345)


def test_empty_value_and_colon_dash():
    e = exposure(environ={"DB_BIND": ""})
    assert e.sources == ("127.0.0.1",)  # `:-` treats empty like unset


def test_unset_without_default_is_reported_not_guessed():
    outcome = parse_compose("""
        services:
          db:
            ports:
              - "${BIND}:5432:5432"
              - "${HOST_PORT}:6379"
              - "127.0.0.1:8080:${APP_PORT:?set APP_PORT}"
        """)
    assert not outcome.errors
    bind, host_port, target = outcome.exposures
    assert bind.scope == "unknown" and bind.unresolved == ("BIND",) and bind.sources == ("${BIND}",)
    assert host_port.scope == "internet" and host_port.unresolved == ("HOST_PORT",)
    assert host_port.service_ports == PortRange(6379, 6379)
    assert "unresolved-port" in target.traits and target.unresolved == ("APP_PORT",)


def test_double_dollar_is_literal():
    outcome = parse_compose("""
        services:
          app:
            ports: ["$$HOME:80"]
        """)
    assert outcome.errors and "is not a port" in outcome.errors[0].message


def test_network_mode_from_variable():
    outcome = parse_compose("""
        services:
          app:
            network_mode: ${NET:-host}
        """)
    assert "host-network" in outcome.exposures[0].traits
