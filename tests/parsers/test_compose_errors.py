"""Bad Compose input becomes errors with lines, never exceptions."""

from __future__ import annotations

import pytest

from tests.conftest import parse_compose


@pytest.mark.parametrize("entry, line, message", [
    ('"70000:80"', 4, "host port 70000 is outside 1-65535"),
    ('"80:99999"', 4, "container port 99999 is outside 1-65535"),
    ('"http"', 4, "container port 'http' is not a port"),
    ('"8080:80/icmp"', 4, "unknown protocol 'icmp'"),
    ('"9090-9091:8080-8082"', 4, "differ in size"),
    ('"300-200:80"', 4, "ends before it starts"),
    ('"example.com:80:80"', 4, "is not an IP address"),
    ("{target: 70000}", 4, "target port 70000 is outside"),
    ("{published: 80}", 4, "has no target"),
    ("[1, 2]", 4, "is not a port"),
    ("true", 4, "is not a port"),
])
def test_bad_port_entries(entry, line, message):
    outcome = parse_compose(f"""
        services:
          app:
            ports:
              - {entry}
              - "127.0.0.1:8080:8080"
        """)
    assert len(outcome.errors) == 1, outcome.errors
    error = outcome.errors[0]
    assert error.line == line and message in error.message and error.file == "compose.yaml"
    # the good entry after the bad one is still read
    assert [e.location.line for e in outcome.exposures] == [5]


def test_invalid_yaml_reports_position():
    outcome = parse_compose("""
        services:
          app:
            ports: ["80:80"
          db: {}
        """)
    (error,) = outcome.errors
    assert error.line == 4 and error.message.startswith("invalid YAML")


@pytest.mark.parametrize("text, message", [
    ("- a\n- b\n", "must be a mapping, found a list"),
    ("just a string\n", "must be a mapping, found a string"),
    ("services: [web, db]\n", "'services' must be a mapping"),
    ("services:\n  web: 3\n", "services.web must be a mapping"),
    ("services:\n  web:\n    ports: \"80:80\"\n", "services.web.ports must be a list"),
])
def test_wrong_shapes(text, message):
    outcome = parse_compose(text)
    assert len(outcome.errors) == 1 and message in outcome.errors[0].message


def test_empty_file_and_no_services_are_fine():
    assert parse_compose("").errors == ()
    assert parse_compose("volumes:\n  data: {}\n").exposures == ()
