"""portlint's firewall format: schema errors with lines, order, priorities, groups, default policy."""

from __future__ import annotations

from tests.conftest import run_tree

EDGE = """
firewall:
  name: edge
  default: deny
  groups:
    office: [203.0.113.0/24, "2001:db8::/48"]
  rules:
    - name: block-telnet
      action: deny
      ports: [23]
      sources: [any]
    - name: admin-from-office
      action: allow
      ports: [22, 3389]
      sources: ["@office"]
    - name: web
      action: allow
      ports: [80, 443]
    - name: legacy
      action: allow
      ports: ["20-30"]
      sources: [internet]
    - name: db
      action: allow
      ports: [5432]
      priority: 2000
    - name: block-db
      action: deny
      ports: [5432]
      priority: 10
    - name: dns
      action: allow
      protocol: udp
      ports: [53]
      sources: [10.0.0.0/8]
    - name: disabled-redis
      action: allow
      ports: [6379]
      enabled: false
"""


def test_rules_in_order_with_priorities_and_groups(tmp_path):
    report = run_tree(tmp_path, {"edge.firewall.yaml": EDGE})
    assert not report.errors
    allows = [(e.location.line, e.resource, e.protocol, str(e.port_range), e.scope)
              for e in report.exposures if e.action == "allow"]
    assert allows == [
        (11, "firewall edge / rule admin-from-office", "tcp", "22", "restricted-public"),
        (11, "firewall edge / rule admin-from-office", "tcp", "3389", "restricted-public"),
        (15, "firewall edge / rule web", "tcp", "80", "internet"),
        (15, "firewall edge / rule web", "tcp", "443", "internet"),
        (18, "firewall edge / rule legacy", "tcp", "20-22", "internet"),   # 23 is denied above
        (18, "firewall edge / rule legacy", "tcp", "24-30", "internet"),
        (30, "firewall edge / rule dns", "udp", "53", "private"),
    ]
    assert report.exposures[1].sources == ("203.0.113.0/24", "2001:db8::/48")
    assert [(s.exposure.location.line, s.by.location.line) for s in report.shadowed] == [(22, 26)]
    codes = sorted((f.location.line, f.rule_id) for f in report.findings)
    # one verdict per entry: FTP (PL106) is named in the message of the SSH finding on 20-22
    assert codes == [(18, "PL101"), (18, "PL101"), (22, "PL503"), (30, "PL201")]


def test_partial_deny_narrows_sources(tmp_path):
    report = run_tree(tmp_path, {"fw.yaml": """
        firewall:
          rules:
            - name: no-ssh-from-the-internet-range
              action: deny
              ports: [22]
              sources: [0.0.0.0/1]
            - name: ssh
              action: allow
              ports: [22]
              sources: [0.0.0.0/0]
        """})
    (allow,) = [e for e in report.exposures if e.action == "allow"]
    assert allow.sources == ("128.0.0.0/1",) and allow.scope == "internet"


def test_default_allow_opens_what_is_not_denied(tmp_path):
    report = run_tree(tmp_path, {"fw.yaml": """
        firewall:
          name: permissive
          default: allow
          rules:
            - action: deny
              protocol: any
              ports: ["0-1023"]
        """})
    defaults = [(e.location.line, e.protocol, str(e.port_range)) for e in report.exposures
                if e.resource.endswith("default allow") and e.direction == "ingress"]
    assert defaults == [(3, "all", "1024-65535")]
    assert [f.rule_id for f in report.findings if f.location.line == 3][0] in ("PL103", "PL102")


def test_schema_errors_are_reported_with_line_and_path(tmp_path):
    report = run_tree(tmp_path, {"bad.yaml": """
        firewall:
          default: maybe
          rules:
            - name: ok
              action: allow
              ports: [22]
              sources: [10.0.0.0/8]
            - name: typo
              action: permit
              ports: [70000]
              colour: blue
        """, "good.yaml": "firewall:\n  rules:\n    - action: allow\n      ports: [23]\n"})
    errors = [(e.file, e.line, e.message.split(":")[0]) for e in report.errors]
    assert errors == [
        ("bad.yaml", 2, "$.firewall.default"),
        ("bad.yaml", 8, "$.firewall.rules[1]"),
        ("bad.yaml", 9, "$.firewall.rules[1].action"),
        ("bad.yaml", 10, "$.firewall.rules[1].ports[0]"),
    ]
    assert "colour" in report.errors[1].message
    assert [(f.location.file, f.rule_id) for f in report.findings] == [("good.yaml", "PL106")]


def test_unknown_group_and_bad_range(tmp_path):
    report = run_tree(tmp_path, {"fw.yaml": """
        firewall:
          rules:
            - action: allow
              ports: [5432]
              sources: ["@partners"]
            - name: backwards
              action: allow
              ports: ["9000-8000"]
        """})
    # the error points at the reversed range itself (line 8), inside rule "backwards" (line 6)
    assert [(e.line, "low to high" in e.message) for e in report.errors] == [(8, True)]
    (exposure,) = report.exposures
    assert exposure.scope == "unknown" and exposure.unresolved == ("@partners",)
    assert [f.rule_id for f in report.findings] == ["PL501"]


def test_detection_by_key_and_by_name(tmp_path):
    report = run_tree(tmp_path, {
        "net/rules.yml": "firewall:\n  rules: []\n",
        "net/edge.firewall.yaml": "firewall:\n  rules: []\n",
        "net/values.yaml": "replicas: 2\n",
    })
    assert report.files_scanned == 2 and not report.errors


def test_file_order_decides_between_rules_of_equal_priority(tmp_path):
    report = run_tree(tmp_path, {"fw.yaml": """
        firewall:
          rules:
            - name: ssh
              action: allow
              ports: [22]
            - name: no-ssh
              action: deny
              ports: [22]
            - name: no-rdp
              action: deny
              ports: [3389]
            - name: rdp
              action: allow
              ports: [3389]
        """})
    allows = [(e.location.line, str(e.port_range)) for e in report.exposures if e.action == "allow"]
    assert allows == [(3, "22")]  # first match wins: ssh is open, rdp is not
    assert [(s.exposure.location.line, s.by.location.line) for s in report.shadowed] == [(12, 9)]


def test_keywords_are_case_insensitive(tmp_path):
    report = run_tree(tmp_path, {"fw.yaml": """
        firewall:
          default: DENY
          rules:
            - action: Allow
              direction: Ingress
              protocol: TCP
              ports: [3389]
              sources: [any]
        """})
    assert not report.errors
    assert [(f.rule_id, f.severity.label) for f in report.findings] == [("PL101", "critical")]


def test_bare_group_names_and_unknown_words(tmp_path):
    report = run_tree(tmp_path, {"fw.yaml": """
        firewall:
          groups:
            office: [203.0.113.0/24]
          rules:
            - action: allow
              ports: [22]
              sources: [office]
            - action: allow
              ports: [3389]
              sources: [partners]
        """})
    first, second = report.exposures
    assert first.sources == ("203.0.113.0/24",) and first.scope == "restricted-public"
    assert second.scope == "unknown" and second.unresolved == ("partners",)
    assert [(f.location.line, f.rule_id) for f in report.findings] == [(8, "PL501")]


def test_a_deny_goes_before_an_allow_of_the_same_written_priority(tmp_path):
    report = run_tree(tmp_path, {"fw.yaml": """
        firewall:
          rules:
            - name: ssh
              action: allow
              ports: [22]
              priority: 100
            - name: no-ssh
              action: deny
              ports: [22]
              priority: 100
            - name: rdp
              action: allow
              ports: [3389]
            - name: no-rdp
              action: deny
              ports: [3389]
              priority: 1000
            - name: vnc
              action: allow
              ports: [5900]
              priority: 100
            - name: no-vnc
              action: deny
              ports: [5900]
              priority: 200
        """})
    allows = [(e.location.line, str(e.port_range)) for e in report.exposures if e.action == "allow"]
    # ssh: equal written priorities, the deny wins; rdp: the allow has no priority, so it keeps its
    # place in file order at 1000 and comes before the later deny that writes 1000 (first match wins);
    # vnc: a lower priority number still wins
    assert allows == [(11, "3389"), (18, "5900")]
    assert sorted((s.exposure.location.line, s.by.location.line) for s in report.shadowed) == [(3, 7)]
    assert sorted((f.location.line, f.rule_id) for f in report.findings) == [
        (3, "PL503"), (11, "PL101"), (18, "PL101")]


def test_rules_without_priority_keep_their_slot_while_written_ones_put_denies_first(tmp_path):
    report = run_tree(tmp_path, {"fw.yaml": """
        firewall:
          rules:
            - name: pg
              action: allow
              ports: [5432]
              priority: 1000
            - name: ssh
              action: allow
              ports: [22]
            - name: no-pg
              action: deny
              ports: [5432]
              priority: 1000
            - name: no-ssh
              action: deny
              ports: [22]
        """})
    allows = [(e.location.line, str(e.port_range)) for e in report.exposures if e.action == "allow"]
    # pg and no-pg both wrote 1000: the deny takes the allow's slot; ssh and no-ssh wrote none: file order
    assert allows == [(7, "22")]
    assert [(s.exposure.location.line, s.by.location.line) for s in report.shadowed] == [(3, 10)]
