"""Review of issue 13: paths that still turned a red gate green."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO

EDGE = (REPO / "examples/firewall/edge.firewall.yaml").read_text()
LEGACY = '      ports: ["20-23"]\n'
assert LEGACY in EDGE


def _results(result) -> dict:
    doc = json.loads(result.stdout)
    return {key: sorted((f["line"], f["rule_id"], f["severity"]) for f in doc.get(key, []))
            for key in ("findings", "suppressed", "accepted")}


def _edge_repo(tmp_path, monkeypatch, text=EDGE, config=None):
    (tmp_path / ".git").mkdir()
    (tmp_path / "edge.firewall.yaml").write_text(text)
    if config:
        (tmp_path / ".portlint.yaml").write_text(config)
    monkeypatch.chdir(tmp_path)


# 1. one verdict per exposure: silencing the reported code must leave the next one standing

def test_the_edge_firewall_reports_pl101_and_names_pl106(tmp_path, monkeypatch, run_cli):
    _edge_repo(tmp_path, monkeypatch)
    result = run_cli("check", "-f", "json", ".")
    assert _results(result)["findings"] == [(32, "PL101", "high")]
    assert "(also: PL106 clear-text protocol, high)" in json.loads(result.stdout)["findings"][0]["message"]


SILENCED = {
    "comment": (EDGE.replace(LEGACY, LEGACY.rstrip("\n") + "  # portlint: disable=PL101 -- ssh is fine here\n"),
                None, "suppressed"),
    "accept": (EDGE, "accept:\n  - file: edge.firewall.yaml\n    rules: [PL101]\n    reason: ssh is fine here\n",
               "accepted"),
    "per_file_ignores": (EDGE, "per-file-ignores:\n  edge.firewall.yaml: [PL101]\n", None),
}


@pytest.mark.parametrize("how", list(SILENCED))
def test_silencing_pl101_leaves_the_pl106_on_the_same_port_open(tmp_path, monkeypatch, run_cli, how):
    text, config, where = SILENCED[how]
    _edge_repo(tmp_path, monkeypatch, text, config)
    result = run_cli("check", "-f", "json", ".")
    found = _results(result)
    assert found["findings"] == [(32, "PL106", "high")], result.stdout
    assert result.exit_code == 1
    if where:
        assert found[where] == [(32, "PL101", "high")]
    assert not [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "PL601"]
    text_out = run_cli("check", ".")
    assert "PL106 [high] Ports 20-22/tcp" in text_out.stdout and text_out.exit_code == 1


def test_silencing_both_codes_silences_the_exposure(tmp_path, monkeypatch, run_cli):
    text = EDGE.replace(LEGACY, LEGACY.rstrip("\n") + "  # portlint: disable=PL101,PL106 -- lab only\n")
    _edge_repo(tmp_path, monkeypatch, text)
    result = run_cli("check", "-f", "json", ".")
    found = _results(result)
    assert found["findings"] == [] and found["suppressed"] == [(32, "PL101", "high"), (32, "PL106", "high")]
    assert result.exit_code == 0


# 3. a named path that is an open descriptor is an error even when it points at a regular file

RISKY = 'services:\n  db:\n    image: postgres:16\n    ports:\n      - "5432:5432"\n'


@pytest.mark.parametrize("named", ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"])
@pytest.mark.parametrize("inside", [True, False], ids=["in_the_tree", "outside_the_root"])
def test_a_descriptor_redirected_from_a_regular_file_is_an_error(tmp_path, named, inside):
    import os
    import subprocess
    import sys

    if not os.path.exists(named):
        pytest.skip(f"{named} does not exist on this system")
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    source = (project if inside else tmp_path) / "compose.yaml"
    source.write_text(RISKY)
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    with source.open() as stdin:
        result = subprocess.run([sys.executable, "-m", "portlint", "check", named], cwd=project, stdin=stdin,
                                capture_output=True, text=True, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{named}:1:1: PL001" in result.stdout
    assert "portlint check - --stdin-filename NAME" in result.stdout


# 4. an expiry that is not a date fails closed: the suppression silences nothing

@pytest.mark.parametrize("stamp", ["2099-02-30", "tomorrow", "2099-13-45"])
def test_a_malformed_expiry_silences_nothing(tmp_path, stamp):
    from tests.conftest import run_tree

    report = run_tree(tmp_path, {
        "compose.yaml": 'services:\n  db:\n    image: postgres:16\n    ports:\n'
                        f'      - "5432:5432"   # portlint: disable=PL101 -- until {stamp}: x\n',
        "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: redis\n  annotations:\n"
                    f'    portlint.dev/disable: "PL101: until {stamp}: vpn only"\n'
                    "spec:\n  type: LoadBalancer\n  ports:\n    - port: 6379\n"})
    assert report.suppressed == []
    opened = {f.location.file: f.message for f in report.findings if f.rule_id == "PL101"}
    assert sorted(opened) == ["compose.yaml", "svc.yaml"]
    for message in opened.values():
        assert f"silences nothing: its expiry '{stamp}' is not a date" in message


@pytest.mark.parametrize("stamp", ["2099-02-30", "tomorrow"])
def test_an_accept_entry_with_a_malformed_expiry_is_a_configuration_error(tmp_path, monkeypatch, run_cli, stamp):
    _edge_repo(tmp_path, monkeypatch, config="accept:\n  - file: edge.firewall.yaml\n    reason: x\n"
                                             f'    expires: "{stamp}"\n')
    result = run_cli("check", ".")
    assert result.exit_code == 2 and ".portlint.yaml:" in result.output and stamp in result.output


# 5. an empty annotation value names no rule: it silences nothing

@pytest.mark.parametrize("value", ['""', '": vpn only"'])
def test_an_empty_annotation_silences_nothing(tmp_path, value):
    from tests.conftest import run_tree

    report = run_tree(tmp_path, {
        "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: redis\n  annotations:\n"
                    f"    portlint.dev/disable: {value}\nspec:\n  type: LoadBalancer\n  ports:\n    - port: 6379\n"})
    assert report.suppressed == []
    assert [f.rule_id for f in report.findings] == ["PL601", "PL101"]
    assert "names no rule code" in report.findings[0].message
