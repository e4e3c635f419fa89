"""Ansible ufw and firewalld tasks, in playbooks, blocks and task files."""

from __future__ import annotations

from portlint.model import Severity
from tests.conftest import run_tree

PLAYBOOK = """
- hosts: web
  become: true
  tasks:
    - name: Deny telnet
      community.general.ufw:
        rule: deny
        port: "23"
    - name: Allow SSH from the office
      ufw:
        rule: allow
        port: "22"
        proto: tcp
        from_ip: 203.0.113.0/24
    - name: Legacy range
      community.general.ufw:
        rule: allow
        port: "20:30"
        proto: tcp
    - block:
        - name: Redis for everyone
          ufw:
            rule: allow
            port: 6379/tcp
      rescue:
        - name: nothing
          debug: {msg: x}
    - name: Remove old rule
      ufw:
        rule: allow
        port: "3389"
        delete: yes
    - name: Templated port
      ufw:
        rule: allow
        port: "{{ app_port }}"
"""

FIREWALLD = """
- name: Open https
  ansible.posix.firewalld:
    service: https
    permanent: true
    state: enabled
- name: MySQL in the public zone
  firewalld:
    port: 3306/tcp
    zone: public
    state: enabled
- name: Postgres inside
  firewalld:
    port: 5432/tcp
    zone: internal
    state: enabled
- name: Allow ssh service
  firewalld:
    service: ssh
    state: enabled
- name: Closed
  firewalld:
    service: telnet
    state: disabled
- name: RDP from the jump host only
  firewalld:
    rich_rule: 'rule family="ipv4" source address="198.51.100.7/32" port port="3389" protocol="tcp" accept'
    state: enabled
- name: Drop VNC
  firewalld:
    rich_rule: rule family=ipv4 port port=5900 protocol=tcp drop
    state: enabled
"""


def test_ufw_playbook_in_task_order(tmp_path):
    report = run_tree(tmp_path, {"playbooks/site.yml": PLAYBOOK})
    assert not report.errors
    allows = [(e.location.line, e.protocol, str(e.port_range), e.scope) for e in report.exposures
              if e.action == "allow"]
    assert allows == [(8, "tcp", "22", "restricted-public"), (14, "tcp", "20-22", "internet"),
                      (14, "tcp", "24-30", "internet"), (20, "tcp", "6379", "internet"),
                      (32, "all", "0-65535", "unknown")]
    findings = sorted((f.location.line, f.rule_id) for f in report.findings if f.severity.label != "low")
    # one verdict per entry: SSH (PL101) and FTP (PL106) in 20-22 are one finding naming both
    assert findings == [(14, "PL101"), (20, "PL101")]
    assert "also: PL106" in next(f.message for f in report.findings if f.location.line == 14)
    assert [f.rule_id for f in report.findings if f.location.line == 32] == ["PL501"]


def test_firewalld_tasks_zones_services_and_rich_rules(tmp_path):
    report = run_tree(tmp_path, {"roles/db/tasks/main.yml": FIREWALLD})
    assert not report.errors
    rows = [(e.location.line, e.action, e.protocol, str(e.port_range), e.scope) for e in report.exposures]
    assert rows == [
        (1, "allow", "tcp", "443", "internet"),
        (6, "allow", "tcp", "3306", "internet"),
        (11, "allow", "tcp", "5432", "private"),
        (16, "allow", "tcp", "22", "internet"),
        (24, "allow", "tcp", "3389", "restricted-public"),
        (28, "deny", "tcp", "5900", "internet"),
    ]
    assert sorted((f.location.line, f.rule_id) for f in report.findings) == [(6, "PL101"), (16, "PL101")]


def test_default_policy_allow(tmp_path):
    report = run_tree(tmp_path, {"fw.yml": """
        - name: open by default
          ufw:
            policy: allow
            direction: incoming
        - name: but not SMB
          ufw:
            rule: deny
            port: "445"
        """})
    defaults = [(e.location.line, e.resource, str(e.port_range)) for e in report.exposures if e.action == "allow"]
    assert defaults == [(1, "ufw: default policy allow", "0-444"), (1, "ufw: default policy allow", "446-65535")]
    assert {f.rule_id for f in report.findings} == {"PL103"}  # everything but 445, covering SSH, RDP ...


def test_unknown_service_is_an_error(tmp_path):
    report = run_tree(tmp_path, {"t.yml": "- firewalld:\n    service: no-such-thing\n    state: enabled\n"})
    assert [(e.line, "unknown firewalld service" in e.message) for e in report.errors] == [(1, True)]


CLOUD = """
- name: Web security group
  amazon.aws.ec2_security_group:
    name: web
    description: web
    rules:
      - proto: tcp
        ports: [80, 443]
        cidr_ip: 0.0.0.0/0
      - proto: tcp
        from_port: 22
        to_port: 22
        cidr_ip: 0.0.0.0/0
      - proto: tcp
        ports: ["5432"]
        group_name: app
    rules_egress:
      - proto: all
        cidr_ip: 0.0.0.0/0
- name: NSG
  azure.azcollection.azure_rm_securitygroup:
    resource_group: rg
    name: nsg-web
    rules:
      - name: deny-rdp
        priority: 100
        access: Deny
        protocol: Tcp
        destination_port_range: "3389"
        source_address_prefix: "*"
      - name: rdp-and-sql
        priority: 200
        protocol: Tcp
        destination_port_range: ["3389", "1433"]
        source_address_prefix: Internet
      - name: vnet
        priority: 300
        protocol: "*"
        source_address_prefix: VirtualNetwork
- name: GCP firewall
  google.cloud.gcp_compute_firewall:
    name: admin
    network: {selfLink: x}
    allowed:
      - ip_protocol: tcp
        ports: ["6379", "8000-8010"]
    source_ranges: [0.0.0.0/0]
"""


def test_cloud_firewall_modules(tmp_path):
    report = run_tree(tmp_path, {"cloud.yml": CLOUD})
    assert not report.errors
    allows = [(e.location.line, e.resource, e.protocol, str(e.port_range), e.scope) for e in report.exposures
              if e.action == "allow" and e.direction == "ingress"]
    assert allows == [
        (6, "ec2_security_group web", "tcp", "80", "internet"),
        (6, "ec2_security_group web", "tcp", "443", "internet"),
        (9, "ec2_security_group web", "tcp", "22", "internet"),
        (13, "ec2_security_group web", "tcp", "5432", "private"),
        (30, "azure_rm_securitygroup nsg-web / rule rdp-and-sql", "tcp", "1433", "internet"),
        # the Tcp deny of 3389 above narrows this allow of every protocol to what remains
        (35, "azure_rm_securitygroup nsg-web / rule vnet", "tcp", "0-3388", "private"),
        (35, "azure_rm_securitygroup nsg-web / rule vnet", "tcp", "3390-65535", "private"),
        (35, "azure_rm_securitygroup nsg-web / rule vnet", "udp", "0-65535", "private"),
        (35, "azure_rm_securitygroup nsg-web / rule vnet", "other", "0-65535", "private"),
        (44, "gcp_compute_firewall admin", "tcp", "6379", "internet"),
        (44, "gcp_compute_firewall admin", "tcp", "8000-8010", "internet"),
    ]
    findings = sorted((f.location.line, f.rule_id) for f in report.findings if f.severity >= Severity.MEDIUM)
    assert findings == [(9, "PL101"), (30, "PL101"), (44, "PL101")]
    assert [(s.exposure.location.line, s.by.location.line) for s in report.shadowed] == [(30, 24)]


def test_loops_expand_into_one_rule_per_item(tmp_path):
    report = run_tree(tmp_path, {"fw.yml": """
        - name: open web and admin ports
          community.general.ufw:
            rule: allow
            port: "{{ item }}"
            proto: tcp
          loop: [80, 443, 3389]
        - name: firewalld ports from a list of dicts
          ansible.posix.firewalld:
            port: "{{ item.port }}/{{ item.proto }}"
            state: enabled
          with_items:
            - {port: 6379, proto: tcp}
            - {port: 123, proto: udp}
        - name: still a template
          ufw: rule=allow port={{ some_var }}
        """})
    rows = [(e.location.line, e.protocol, str(e.port_range)) for e in report.exposures]
    assert rows == [(1, "tcp", "80"), (1, "tcp", "443"), (1, "tcp", "3389"), (7, "tcp", "6379"),
                    (7, "udp", "123"), (14, "all", "0-65535")]
    assert sorted((f.location.line, f.rule_id) for f in report.findings if f.severity >= Severity.MEDIUM) == [
        (1, "PL101"), (7, "PL101"), (7, "PL105")]


def test_firewalld_drop_rich_rule_hides_a_zone_port(tmp_path):
    report = run_tree(tmp_path, {"fw.yml": """
        - name: Open VNC in public
          ansible.posix.firewalld:
            port: 5900/tcp
            zone: public
            state: enabled
        - name: But drop it from everyone
          ansible.posix.firewalld:
            rich_rule: rule family=ipv4 port port=5900 protocol=tcp drop
            zone: public
            state: enabled
        - name: Internal zone is another rule set
          ansible.posix.firewalld:
            rich_rule: rule family=ipv4 port port=22 protocol=tcp reject
            zone: internal
            state: enabled
        - name: SSH in public
          ansible.posix.firewalld:
            service: ssh
            zone: public
            state: enabled
        """})
    assert [(s.exposure.location.line, s.by.location.line) for s in report.shadowed] == [(1, 6)]
    assert [(f.location.line, f.rule_id) for f in report.findings] == [(1, "PL503"), (16, "PL101")]


def test_when_false_tasks_and_blocks_do_not_run(tmp_path):
    report = run_tree(tmp_path, {"site.yml": """- hosts: all
  vars:
    open_rdp: false
    legacy: "yes"
  tasks:
    - name: never
      ufw: {rule: allow, port: "3389"}
      when: false
    - name: switched off by a variable
      ufw: {rule: allow, port: "3389"}
      when: open_rdp | bool
    - name: not when legacy
      ufw: {rule: allow, port: "23"}
      when: not legacy
    - block:
        - name: inside a false block
          ufw: {rule: allow, port: "5900"}
      when: "open_rdp and legacy"
    - name: decided elsewhere (inventory, extra vars)
      ufw: {rule: allow, port: "6379"}
      when: enable_cache is defined
    - name: legacy only
      ufw: {rule: allow, port: "21"}
      when: legacy
"""})
    assert not report.errors
    assert [(e.location.line, str(e.port_range)) for e in report.exposures] == [(19, "6379"), (22, "21")]


def test_variables_fill_templates_with_ansible_precedence(tmp_path):
    report = run_tree(tmp_path, {
        "site.yml": """- hosts: windows
  vars:
    rdp_port: 3389
  tasks:
    - name: RDP for everyone
      community.general.ufw:
        rule: allow
        port: "{{ rdp_port }}"
        from_ip: "{{ rdp_from }}"
""",
        "group_vars/all.yml": "rdp_from: any\nrdp_port: 13389\n",
        "roles/cache/defaults/main.yml": "cache_port: 6379\ncache_from: 10.0.0.0/8\n",
        "roles/cache/vars/main.yml": "cache_from: any\n",
        "roles/cache/tasks/main.yml": """- name: cache
  ufw:
    rule: allow
    port: "{{ cache_port }}"
    from_ip: "{{ cache_from }}"
""",
    })
    assert not report.errors
    rows = sorted((e.location.file, e.location.line, str(e.port_range), e.scope, [s.label for s in e.origins])
                  for e in report.exposures)
    assert rows == [
        # origins in variable-name order: cache_from (role vars beat role defaults), cache_port
        ("roles/cache/tasks/main.yml", 1, "6379", "internet", ["role var", "role default"]),
        ("site.yml", 5, "3389", "internet", ["group_vars/all", "play vars"]),  # play vars beat group_vars
    ]
    critical = sorted((f.location.file, f.location.line) for f in report.findings if f.severity.label == "critical")
    assert critical == [("roles/cache/tasks/main.yml", 1), ("site.yml", 5)]


def test_groups_with_different_values_judge_the_most_exposed_and_name_it(tmp_path):
    report = run_tree(tmp_path, {
        "play.yml": """- hosts: office:public
  tasks:
    - name: ssh
      ufw: {rule: allow, port: "22", from_ip: "{{ ssh_from }}"}
""",
        "group_vars/office.yml": "ssh_from: 192.168.0.0/16\n",
        "group_vars/public.yml": "ssh_from: any\n",
    })
    assert not report.errors
    (exposure,) = report.exposures
    assert exposure.scope == "internet"
    assert [(s.label, s.file, s.line) for s in exposure.origins] == [("group_vars/public", "group_vars/public.yml", 1)]


def test_a_refused_variables_file_is_an_error_at_the_play(tmp_path):
    import os

    (tmp_path / "group_vars").mkdir()
    os.mkfifo(tmp_path / "group_vars" / "web.yml")
    report = run_tree(tmp_path, {"play.yml": """- hosts: web
  tasks:
    - name: ssh
      ufw: {rule: allow, port: "22"}
"""})
    assert [(e.file, e.line) for e in report.errors] == [("play.yml", 1)]
    assert [(f.location.line, f.rule_id) for f in report.findings] == [(3, "PL101")]
