"""The shipped data: risk list (schema, hash pin, sources), port registry, overlay, images."""

from __future__ import annotations

import os

import pytest
import yaml

from portlint.model import PortRange, Severity
from portlint.reference import (
    ReferenceDataError, data_dir, image_entry, load_risk_list, risk_file_hash, risk_list_from_data,
    validate_risk_data,
)
from portlint.registry import load_registry
from tests.conftest import REPO

RISKS = data_dir() / "risks.yaml"


def test_risk_list_is_valid_and_large_enough():
    data = yaml.safe_load(RISKS.read_text())
    validate_risk_data(data, "risks.yaml")
    risks = risk_list_from_data(data)
    assert len(risks.entries) >= 60
    assert len({e.id for e in risks.entries}) == len(risks.entries)
    required = {21, 23, 445, 3389, 5900, 2375, 2376, 6379, 27017, 9200, 3306, 5432, 1433, 11211}
    covered = {p for p in required if risks.matching("tcp", PortRange(p, p))}
    assert covered == required
    assert risks.matching("udp", PortRange(161, 161))[0].service == "SNMP"


def test_every_source_has_a_url_and_every_entry_a_source():
    risks = load_risk_list()
    for entry in risks.entries:
        assert entry.sources and all(risks.source_url(ref) for ref in entry.sources), entry.id
        assert len(entry.reason) > 30


def test_pinned_hash_matches_the_validated_file():
    """The loader skips schema validation only for exactly this content."""
    pinned = RISKS.with_name("risks.yaml.sha256")
    current = risk_file_hash(RISKS.read_text())
    if os.environ.get("PORTLINT_UPDATE_SNAPSHOTS") == "1":
        pinned.write_text(current + "\n")
    assert pinned.read_text().strip() == current, "risks.yaml changed: run with PORTLINT_UPDATE_SNAPSHOTS=1"


@pytest.mark.parametrize("mutation, message", [
    (lambda d: d["entries"][0].update(severity="urgent"), "severity"),
    (lambda d: d["entries"][0].update(ports=[70000]), "ports"),
    (lambda d: d["entries"][0].update(sources=["nowhere"]), "unknown source"),
    (lambda d: d["entries"][0].pop("reason"), "reason"),
])
def test_schema_rejects_broken_entries(mutation, message):
    data = yaml.safe_load(RISKS.read_text())
    mutation(data)
    with pytest.raises(ReferenceDataError, match=message):
        validate_risk_data(data, "risks.yaml")


def test_an_edited_risk_list_is_validated_at_load(tmp_path):
    from portlint.reference import load_risk_list_from

    broken = tmp_path / "risks.yaml"
    broken.write_text(RISKS.read_text().replace("severity: critical", "severity: severe", 1))
    with pytest.raises(ReferenceDataError, match="severity"):
        load_risk_list_from(broken)


def test_registry_lookups():
    registry = load_registry()
    assert [s.name for s in registry.by_port(3389, "tcp")] == ["ms-wbt-server"]
    assert registry.by_port(9200)[0].name.startswith("Elasticsearch")  # de-facto first
    assert registry.by_port(10250)[0].name == "Kubelet API"
    assert registry.by_name("redis")[0].ports == PortRange(6379, 6379)
    assert registry.explains("tcp", PortRange(443, 443))
    assert not registry.explains("tcp", PortRange(40007, 40007))


def test_registry_is_regenerated_from_the_iana_csv(shared_dir, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "ports.tsv"
    subprocess.run([sys.executable, str(REPO / "scripts" / "build_registry.py"),
                    str(shared_dir / "data" / "iana-service-names-port-numbers.csv"), "--out", str(out)],
                   check=True, capture_output=True)
    assert out.read_text() == (data_dir() / "ports.tsv").read_text()


def test_overlay_and_images_load():
    overlay = yaml.safe_load((data_dir() / "ports-overlay.yaml").read_text())
    assert len(overlay["entries"]) >= 40
    assert image_entry("postgres:16").category == "database"
    assert image_entry("docker.io/library/nginx:1.27").category == "app"
    assert image_entry("ghcr.io/esphome/esphome:2024.6").service == "ESPHome"
    assert image_entry("docker.io/example/unknown-app:1") is None


def test_severity_ladder_is_ordered():
    assert [s.label for s in sorted(Severity)] == ["info", "low", "medium", "high", "critical"]


#: Port lists published by the sources the risk list cites most (facts from those documents).
PUBLISHED_PORTS = {
    "aws-sh-ec2-19": {20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500,
                      5601, 8080, 8088, 8888, 9200, 9300},
    "aws-ta": {20, 21, 1433, 1434, 3306, 3389, 4333, 5432, 5500},
    "cis-aws": {22, 445, 3389},
    "cis-gcp": {22, 3389},
    "cis-azure": {22, 53, 80, 123, 161, 389, 443, 1900, 3389},
    "cisa-udp-amp": {17, 19, 53, 69, 111, 123, 137, 161, 389, 520, 1900, 5353, 11211},
}


def test_citations_of_port_lists_name_a_listed_port():
    """An entry may cite a published port list only if one of its ports is on that list."""
    for entry in load_risk_list().entries:
        ports = {p for r in entry.ports for p in range(r.start, r.end + 1)}
        for ref in entry.sources:
            listed = PUBLISHED_PORTS.get(ref.split(":", 1)[0])
            assert listed is None or ports & listed, f"{entry.id} cites {ref}, which lists none of its ports"
