"""Review of issue 13: paths that still turned a red gate green."""

from __future__ import annotations

import json
import os

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


# 6. misspellings in suppressions get a suggestion, never a misleading one

SVC = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: redis\n  annotations:\n    {key}: \"PL101: vpn only\"\n"
       "spec:\n  type: LoadBalancer\n  ports:\n    - port: 6379\n")


@pytest.mark.parametrize("key", ["portlint.dev/disabel", "portlint.dev/disble", "portlint.dev/ignore"])
def test_a_misspelled_annotation_key_is_pl601(tmp_path, key):
    from tests.conftest import run_tree

    report = run_tree(tmp_path, {"svc.yaml": SVC.format(key=key)})
    assert report.suppressed == []
    hygiene = [f for f in report.findings if f.rule_id == "PL601"]
    assert [(f.location.line, f.location.column) for f in hygiene] == [(6, 5)]
    assert f"unknown annotation '{key}' (did you mean portlint.dev/disable?)" in hygiene[0].message
    assert "PL101" in [f.rule_id for f in report.findings]


def _compose_with(comment: str) -> dict:
    return {"compose.yaml": f'services:\n  db:\n    image: postgres:16\n    ports:\n      - "5432:5432"   # {comment}\n'}


def test_a_code_prefix_in_a_suppression_says_it_is_a_prefix(tmp_path):
    from tests.conftest import run_tree

    report = run_tree(tmp_path, _compose_with("portlint: disable=PL1 -- lab"))
    hygiene = [f.message for f in report.findings if f.rule_id == "PL601"]
    assert hygiene == ["unknown rule 'PL1' in a suppression (PL1 is a prefix; name the code, e.g. PL101); "
                       "it suppresses nothing"]
    assert "PL601?" not in hygiene[0]


def test_a_misspelled_disable_file_is_suggested(tmp_path):
    from tests.conftest import run_tree

    report = run_tree(tmp_path, _compose_with("portlint: disable-fle=PL101 -- lab"))
    hygiene = [f.message for f in report.findings if f.rule_id == "PL601"]
    assert len(hygiene) == 1 and "did you mean 'disable-file'?" in hygiene[0]
    assert [f.rule_id for f in report.suppressed] == []


# 7. port 0 is a port: IANA reserves it

@pytest.mark.parametrize("query", ["0", "0/udp", "0-1"])
def test_port_zero_is_answered(run_cli, query):
    result = run_cli("port", query)
    assert result.exit_code == 0, result.output
    assert "0/tcp,udp  reserved: Reserved" in result.output and "nothing known" not in result.output
    doc = json.loads(run_cli("port", query, "-f", "json").stdout)
    assert doc["services"][0]["ports"] == "0" and doc["services"][0]["origin"] == "iana"


# 8. SARIF links only to a documentation site the user names

def _sarif(tmp_path, monkeypatch, run_cli, config=None, env=None):
    _edge_repo(tmp_path, monkeypatch, config=config)
    result = run_cli("check", "-f", "sarif", ".", env={"PORTLINT_DOCS_URL": None, **(env or {})})
    return result, (json.loads(result.stdout) if result.exit_code != 2 else None)


def _links(doc) -> tuple[set, object]:
    driver = doc["runs"][0]["tool"]["driver"]
    return {r.get("helpUri") for r in driver["rules"]}, driver.get("informationUri")


def test_sarif_has_no_made_up_links_by_default(tmp_path, monkeypatch, run_cli):
    _, doc = _sarif(tmp_path, monkeypatch, run_cli)
    assert _links(doc) == ({None}, None)
    assert "github.com/portlint" not in json.dumps(doc)


@pytest.mark.parametrize("how", ["env", "config"])
def test_sarif_links_to_the_configured_docs(tmp_path, monkeypatch, run_cli, shared_dir, how):
    from jsonschema import Draft4Validator

    url = "https://git.example.org/ops/portlint/blob/v0.1.0/docs/rules"
    env = {"PORTLINT_DOCS_URL": url} if how == "env" else None
    config = f"docs-url: {url}\n" if how == "config" else None
    _, doc = _sarif(tmp_path, monkeypatch, run_cli, config, env)
    helps, info = _links(doc)
    assert helps == {f"{url}/PL101.md"} and info == url + "/"
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text())
    assert not list(Draft4Validator(schema).iter_errors(doc))


@pytest.mark.parametrize("how", ["env", "config"])
def test_a_docs_url_that_is_not_a_url_is_a_usage_error(tmp_path, monkeypatch, run_cli, how):
    env = {"PORTLINT_DOCS_URL": "docs/rules"} if how == "env" else None
    config = "docs-url: docs/rules\n" if how == "config" else None
    result, _ = _sarif(tmp_path, monkeypatch, run_cli, config, env)
    assert result.exit_code == 2 and "docs" in result.output


# 9. the trusted configuration written into the tree says who removes it

def test_trust_config_says_the_file_is_to_be_removed(tmp_path, monkeypatch, run_cli):
    from tests.diff_helpers import Repo

    repo = Repo(tmp_path / "repo")
    repo.commit({".portlint.yaml": "fail-on: low\n", "docker-compose.yml": RISKY})
    monkeypatch.chdir(repo.root)
    result = run_cli("trust", "config", "HEAD")
    written = result.stdout.split("\0")[1]
    assert f"rm -f -- {os.path.basename(written)}" in result.stderr
    os.remove(written)

