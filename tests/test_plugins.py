"""Third-party rules: declarative YAML folders, the config file, and an installed entry point."""

from __future__ import annotations

import subprocess
import pytest

from portlint.declarative import RuleFileError, load_rule_file
from portlint.engine import Options, available_rules, run
from portlint.plugins import PluginError, find_entry_points, load_entry_points
from tests.conftest import REPO, dedent, make_venv

GRAFANA = 'services:\n  g:\n    image: grafana/grafana:11\n    ports: ["3000:3000"]\n'


def test_declarative_rules_run_and_their_examples_hold(tmp_path):
    rules_dir = REPO / "examples" / "rules-dir"
    classes = [c for c in available_rules(Options(environ={}, rules_dirs=(rules_dir,))) if c.code.startswith("ACME")]
    assert [c.code for c in classes] == ["ACME201", "ACME202"]
    grafana = classes[0]
    for kind, expect in (("fail", True), ("pass", False)):
        folder = tmp_path / kind
        folder.mkdir()
        for name, text in grafana.examples[kind].items():
            (folder / name).write_text(text)
        report = run([folder], Options(environ={}, cwd=tmp_path, rules_dirs=(rules_dir,), select=frozenset({"ACME201"})))
        assert bool(report.findings) is expect
    assert "## Example" in grafana.doc() and "## Use instead" in grafana.doc()


@pytest.mark.parametrize("text, line, fragment", [
    ("code: X1\nname: bad-rule\n", 1, "$.code"),
    ("rules:\n  - code: ACME301\n    name: a-b\n    severity: high\n    summary: Something.\n"
     "    message: hello there\n    match:\n      ports: [99999]\n", 8, "$.rules[0].match.ports[0]"),
    ("rules:\n  - code: ACME301\n    name: a-b\n    severity: urgent\n    summary: Something.\n"
     "    message: hello there\n    match: {scope: [internet]}\n", 4, "$.rules[0].severity"),
    ("rules: [\n", 2, "invalid YAML"),
])
def test_invalid_rule_files_point_at_file_and_line(tmp_path, text, line, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(RuleFileError) as info:
        load_rule_file(path, "rules/bad.yaml")
    assert info.value.file == "rules/bad.yaml" and info.value.line == line and fragment in info.value.message


def test_cli_reports_bad_rule_file_as_input_error(run_cli, tmp_path):
    # a bad rule file costs only itself: it is an input error (exit 2) and the rest is still checked
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bad.yaml").write_text("code: X1\nname: bad\n")
    (tmp_path / "compose.yaml").write_text(GRAFANA)
    result = run_cli("check", "--rules-dir", tmp_path / "rules", tmp_path)
    assert result.exit_code == 2 and "bad.yaml:1:1: PL001 [error] $.code" in result.stdout
    assert "compose.yaml" in result.stdout.replace("bad.yaml", "")


def test_config_file(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(GRAFANA)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yaml").write_text((REPO / "examples" / "rules-dir" / "acme-public-admin.yaml").read_text())
    (tmp_path / ".portlint.yaml").write_text(dedent("""
        fail-on: critical
        rules-dir: [rules]
        ignore: [PL101]
        severity:
          no-public-grafana: critical
    """))
    result = run_cli("check", "--format", "json")
    import json

    doc = json.loads(result.stdout)
    # Grafana on 3000 is Grafana, not a development server: an info note (PL302) instead of PL101
    assert [(f["rule_id"], f["severity"]) for f in doc["findings"]] == [("ACME201", "critical"), ("PL302", "info")]
    assert result.exit_code == 1
    assert run_cli("check", "--fail-on", "never").exit_code == 0


def test_invalid_config_is_reported_with_its_line(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".portlint.yaml").write_text("exclude: [vendor]\nfail-on: sometimes\n")
    result = run_cli("check")
    assert result.exit_code == 2 and ".portlint.yaml:2: $.fail-on" in result.stderr


def test_duplicate_rule_codes_are_refused(tmp_path):
    (tmp_path / "dup.yaml").write_text(dedent("""
        code: PL101
        name: my-own-rule
        severity: high
        summary: Clashes with a built-in.
        message: clash
        match: {ports: [1]}
    """))
    with pytest.raises(PluginError, match="PL101"):
        available_rules(Options(environ={}, rules_dirs=(tmp_path,)))


def test_entry_points_are_found_without_importing(monkeypatch):
    fake = ("portlint.rules", "acme", "portlint_missing_module:rules", "acme-rules")
    monkeypatch.setattr("portlint.plugins._all_entry_points", lambda: (fake,))
    names = [name for name, _, _ in find_entry_points("portlint.rules")]
    assert names == ["builtin", "acme"]
    with pytest.raises(PluginError, match="acme-rules: cannot load portlint.rules entry point 'acme'"):
        load_entry_points("portlint.rules")


def test_installed_example_plugin_rule_runs(tmp_path):
    """pip-install examples/plugin into a venv that sees this portlint, and see ACME101 run."""
    import shutil

    python = str(make_venv(tmp_path / "venv"))
    plugin = tmp_path / "plugin"
    shutil.copytree(REPO / "examples" / "plugin" / "portlint-example-rules", plugin)  # builds stay out of the repo
    install = subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(plugin)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yaml").write_text('services:\n  ci:\n    image: jenkins/jenkins:lts\n    ports: ["8080:8080"]\n')
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    rules = subprocess.run([python, "-m", "portlint", "rules"], cwd=project, capture_output=True, text=True, env=env)
    assert "ACME101  no-public-ci" in rules.stdout and "portlint_example_rules" in rules.stdout, rules.stderr
    check = subprocess.run([python, "-m", "portlint", "check", "."], cwd=project, capture_output=True, text=True,
                           env=env)
    assert "compose.yaml:4:13: ACME101 [high] services.ci runs the CI server jenkins/jenkins:lts" in check.stdout
    assert check.returncode == 1


def test_entry_point_scan_matches_importlib_metadata():
    """The fast scan finds what importlib.metadata finds for portlint's groups."""
    from importlib import metadata

    from portlint.plugins import _all_entry_points

    _all_entry_points.cache_clear()
    ours = {(g, n, v) for g, n, v, _ in _all_entry_points()}
    groups = {g for g, _, _, _ in _all_entry_points()} | {"portlint.rules", "portlint.parsers"}
    theirs = {(ep.group, ep.name, ep.value) for group in groups
              for ep in metadata.entry_points().select(group=group)}
    assert ours == theirs


class IniFirewallParser:
    """A toy third-party parser: `port = 6379` lines in *.portsini files open that port to everyone."""

    name = "ini-ports"

    def claims(self, path, text):
        return path.suffix == ".portsini"

    def parse(self, files, ctx):
        from portlint.model import Exposure, Location, ParseOutcome, PortRange

        for source in files:
            exposures = []
            for number, line in enumerate(source.text.splitlines(), start=1):
                key, _, value = line.partition("=")
                if key.strip() == "port":
                    port = int(value)
                    exposures.append(Exposure(kind="ini-ports", location=Location(source.display, number, number),
                                              resource="ini", protocol="tcp", port_range=PortRange(port, port),
                                              sources=("0.0.0.0/0",), scope="internet"))
            yield ParseOutcome(source.display, tuple(exposures))


def test_third_party_parser_plugs_in(monkeypatch, tmp_path):
    from portlint import plugins

    fake = ("portlint.parsers", "ini-ports", "tests.test_plugins:IniFirewallParser", "ini-ports-plugin")
    monkeypatch.setattr(plugins, "_all_entry_points", lambda: (fake,))
    (tmp_path / "edge.portsini").write_text("# edge\nport = 6379\n")
    report = run([tmp_path], Options(environ={}, cwd=tmp_path))
    assert [(f.location.file, f.location.line, f.rule_id, f.exposure.kind) for f in report.findings] == [
        ("edge.portsini", 2, "PL101", "ini-ports")]
