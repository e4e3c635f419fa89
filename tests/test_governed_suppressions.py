"""Governed suppressions (reason, expiry, require-reason, PL601) and accepted exposures."""

from __future__ import annotations

from datetime import date

from portlint import suppress
from tests.conftest import dedent, run_tree

TODAY = date(2026, 1, 15)


def _open(report, code=None):
    return [(f.location.file, f.location.line, f.rule_id) for f in report.findings
            if code is None or f.rule_id == code]


def test_reason_and_expiry_are_parsed():
    found, problems = suppress.scan(
        '  - "5432:5432"  # portlint: disable=PL101 -- until 2027-06-30: firewalled upstream\n'
        "# portlint: disable-file=pl101, Risky-Service-Public -- plain reason\n"
        "# portlint: disable=PL101 -- until 2027-13-01: bad date\n")
    assert [(d.kind, d.line, d.reason, d.expires) for d in found] == [
        ("disable", 1, "firewalled upstream", date(2027, 6, 30)),
        ("disable-file", 2, "plain reason", None),
        ("disable", 3, "until 2027-13-01: bad date", None)]
    assert [(p.line, p.message[:30]) for p in problems] == [(3, "expiry '2027-13-01' is not a d")]


def test_misspelled_directive_is_a_problem_with_a_suggestion():
    found, problems = suppress.scan('ports: ["5432:5432"]  # portlint: disble=PL101\n# portlint:   this is prose\n')
    assert found == []
    assert [(p.line, p.column) for p in problems] == [(1, 23), (2, 1)]
    assert "unknown portlint directive 'disble' (did you mean 'disable'?)" in problems[0].message


COMPOSE = """
    services:
      db:
        image: postgres:16
        ports:
          - "5432:5432"   # portlint: disable=PL101 -- until {until}: firewalled upstream
          - "5433:5432"   # portlint: disable=pl101
          - "5434:5432"   # portlint: disble=PL101 -- typo
          - "5435:5432"   # portlint: disable=PL1O1 -- typo in the code
          - "127.0.0.1:5436:5432"  # portlint: disable=PL101 -- nothing to silence
"""


def test_governed_suppressions_end_to_end(tmp_path):
    report = run_tree(tmp_path, {"compose.yaml": COMPOSE.format(until="2027-06-30")}, today=TODAY)
    assert _open(report, "PL101") == [("compose.yaml", 7, "PL101"), ("compose.yaml", 8, "PL101")]
    hygiene = [(f.location.line, f.location.column, f.severity.label, f.message) for f in report.findings
               if f.rule_id == "PL601"]
    assert [(line, sev) for line, _, sev, _ in hygiene] == [(7, "low"), (8, "low"), (9, "low")]
    assert "did you mean 'disable'" in hygiene[0][3]
    assert "unknown rule 'PL1O1' in a suppression (did you mean PL101?)" in hygiene[1][3]
    assert hygiene[2][3].startswith("unused suppression: disable of PL101 matches no finding")
    # case-insensitive code: line 6 is suppressed; its reason travels with it
    assert sorted(f.location.line for f in report.suppressed) == [5, 6]
    waiver = next(report.waivers[f] for f in report.suppressed if f.location.line == 5)
    assert (waiver.how, waiver.reason, waiver.line, waiver.expires) == ("comment", "firewalled upstream", 5,
                                                                         date(2027, 6, 30))


def test_expired_suppression_returns_the_finding_and_says_so(tmp_path):
    report = run_tree(tmp_path, {"compose.yaml": COMPOSE.format(until="2025-12-31")}, today=TODAY)
    line5 = [f for f in report.findings if f.location.line == 5 and f.rule_id == "PL101"]
    assert len(line5) == 1
    assert line5[0].message.endswith("(the suppression at line 5 expired on 2025-12-31)")
    # an expired suppression that matched is not also "unused"
    assert not [f for f in report.findings if f.rule_id == "PL601" and f.location.line == 5]
    # the last day is still covered
    report = run_tree(tmp_path, {"compose.yaml": COMPOSE.format(until="2026-01-15")}, today=TODAY)
    assert 5 in [f.location.line for f in report.suppressed]


def test_require_reason(tmp_path):
    report = run_tree(tmp_path, {"compose.yaml": COMPOSE.format(until="2027-06-30")}, today=TODAY,
                      require_reason=True)
    line6 = [f for f in report.findings if f.location.line == 6 and f.rule_id == "PL101"]
    assert line6 and line6[0].message.endswith("(the suppression at line 6 has no reason (require-reason is set))")
    assert [f.location.line for f in report.suppressed] == [5]


def test_hygiene_follows_select_and_can_be_silenced_per_file(tmp_path):
    report = run_tree(tmp_path, {"compose.yaml": COMPOSE.format(until="2027-06-30")}, today=TODAY,
                      ignore=frozenset({"PL601"}))
    assert not _open(report, "PL601")
    text = "# portlint: disable-file=PL601 -- legacy file\n" + COMPOSE.format(until="2027-06-30")
    report = run_tree(tmp_path, {"compose.yaml": text}, today=TODAY)
    assert not _open(report, "PL601")


def test_suppressing_a_rule_that_did_not_run_is_not_unused(tmp_path):
    text = 'services:\n  web:\n    image: nginx\n    ports:\n      - "8080:80"  # portlint: disable=PL401 -- x\n'
    report = run_tree(tmp_path, {"compose.yaml": text}, today=TODAY, select=frozenset({"PL101"}))
    assert report.findings == []
    report = run_tree(tmp_path, {"compose.yaml": text}, today=TODAY)
    assert [(f.location.line, f.rule_id) for f in report.findings] == [(5, "PL601")]


def test_disable_next_line_unused_and_used(tmp_path):
    text = ('services:\n  db:\n    image: postgres:16\n    ports:\n'
            '      # portlint: disable-next-line=PL101 -- lab\n      - "5432:5432"\n'
            '      # portlint: disable-next-line=PL101 -- stale\n      - "127.0.0.1:5433:5432"\n')
    report = run_tree(tmp_path, {"compose.yaml": text}, today=TODAY)
    assert [f.location.line for f in report.suppressed] == [6]
    assert [(f.location.line, f.rule_id) for f in report.findings] == [(7, "PL601")]


SERVICE = """
    apiVersion: v1
    kind: Service
    metadata:
      name: {name}
      annotations:
        portlint.dev/disable: "{value}"
    spec:
      type: LoadBalancer
      ports:
        - port: 6379
"""


def test_kubernetes_annotation_suppresses_its_object_only(tmp_path):
    text = (dedent(SERVICE.format(name="cache", value="PL101: until 2027-01-01: VPN-only load balancer"))
            + "---\n" + dedent(SERVICE.format(name="other", value="PL102: wrong rule")))
    report = run_tree(tmp_path, {"k8s.yaml": text}, today=TODAY)
    assert [(f.location.line, f.exposure.resource) for f in report.suppressed] == [(10, "Service/cache")]
    waiver = report.waivers[report.suppressed[0]]
    assert (waiver.how, waiver.line, waiver.reason) == ("annotation", 6, "VPN-only load balancer")
    assert [(f.location.line, f.rule_id) for f in report.findings] == [(17, "PL601"), (21, "PL101")]
    assert "unused suppression" in report.findings[0].message


def test_kubernetes_annotation_with_unknown_code(tmp_path):
    report = run_tree(tmp_path, {"k8s.yaml": SERVICE.format(name="cache", value="PL1011: typo")}, today=TODAY)
    assert [(f.location.line, f.rule_id) for f in report.findings] == [(6, "PL601"), (10, "PL101")]


BASTION = """
    resource "aws_security_group_rule" "ssh" {
      type              = "ingress"
      from_port         = 22
      to_port           = 22
      protocol          = "tcp"
      cidr_blocks       = ["0.0.0.0/0"]
      security_group_id = "sg-1"
    }
    resource "aws_security_group_rule" "office" {
      type              = "ingress"
      from_port         = 22
      to_port           = 22
      protocol          = "tcp"
      cidr_blocks       = ["198.51.100.0/24"]
      security_group_id = "sg-1"
    }
"""


def test_accepted_exposure_by_file_ports_and_sources(tmp_path):
    accept = [{"file": "infra/**/*.tf", "ports": 22, "protocol": "tcp", "sources": ["0.0.0.0/0"],
               "reason": "bastion", "expires": "2026-06-30", "line": 3},
              {"resource": "nothing-like-this", "reason": "stale", "line": 9}]
    report = run_tree(tmp_path, {"infra/bastion/main.tf": BASTION}, today=TODAY, accept=accept,
                      config_file=tmp_path / ".portlint.yaml")
    assert [(f.location.line, f.rule_id) for f in report.accepted] == [(1, "PL101")]
    waiver = report.waivers[report.accepted[0]]
    assert (waiver.how, waiver.reason, waiver.file, waiver.line) == ("accepted", "bastion", ".portlint.yaml", 3)
    assert [(f.location.file, f.location.line, f.rule_id) for f in report.findings] == [
        (".portlint.yaml", 9, "PL601")]


def test_expired_acceptance_returns(tmp_path):
    accept = [{"resource": "ssh", "ports": "20-30", "reason": "bastion", "expires": "2026-01-14", "line": 3}]
    report = run_tree(tmp_path, {"main.tf": BASTION}, today=TODAY, accept=accept,
                      config_file=tmp_path / ".portlint.yaml")
    assert report.accepted == []
    assert [(f.location.line, f.rule_id) for f in report.findings] == [(1, "PL101")]
    assert report.findings[0].message.endswith("(the acceptance at .portlint.yaml:3 expired on 2026-01-14)")


def test_acceptance_sources_must_cover_every_source(tmp_path):
    accept = [{"ports": 22, "sources": ["198.51.100.0/25"], "reason": "half the office", "line": 2}]
    report = run_tree(tmp_path, {"main.tf": BASTION}, today=TODAY, accept=accept,
                      config_file=tmp_path / ".portlint.yaml")
    # the /24 is not inside the /25, and 0.0.0.0/0 is not either: nothing accepted, the entry is unused
    assert report.accepted == []
    assert ("main.tf", 1, "PL101") in _open(report)
    assert (".portlint.yaml", 2, "PL601") in _open(report)


def test_gitignore_patterns():
    from portlint.accept import gitignore_regex

    assert gitignore_regex("*.tf").fullmatch("a/b/main.tf")
    assert gitignore_regex("infra/*.tf").fullmatch("infra/main.tf")
    assert not gitignore_regex("infra/*.tf").fullmatch("infra/x/main.tf")
    assert gitignore_regex("infra/**/*.tf").fullmatch("infra/x/y/main.tf")
    assert gitignore_regex("./infra/").fullmatch("infra/x/main.tf")
    assert not gitignore_regex("infra").fullmatch("other/infra2/main.tf")


def test_cli_accept_from_configuration(run_cli, tmp_path, monkeypatch):
    import json

    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text(dedent(BASTION))
    (tmp_path / ".portlint.yaml").write_text(dedent("""
        accept:
          - resource: ssh
            ports: [22]
            sources: ["0.0.0.0/0"]
            reason: bastion for the office
            expires: "2999-12-31"
          - resource: office
            ports: 22
            reason: expired exception
            expires: "2000-01-01"
    """))
    result = run_cli("check", "-f", "json", ".")
    doc = json.loads(result.stdout)
    assert [(f["line"], f["rule_id"], f["suppression"]["how"], f["suppression"]["reason"], f["suppression"]["line"])
            for f in doc["accepted"]] == [(1, "PL101", "accepted", "bastion for the office", 2)]
    assert doc["summary"]["accepted"] == 1
    # the office rule is not public, so it has no finding: its (expired) entry is unused
    assert [(f["file"], f["line"], f["rule_id"]) for f in doc["findings"]] == [(".portlint.yaml", 7, "PL601")]
    assert result.exit_code == 0
