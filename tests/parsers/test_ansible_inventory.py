"""Ansible variables as Ansible loads them: group_vars/host_vars folders, vars_files, INI and YAML
inventories (groups, children, inline host vars, [group:vars]); hostile folders and inventories."""

from __future__ import annotations

import os

from tests.conftest import run_tree

PLAY = """- hosts: prod
  vars:
    env: prod
    admin_port: 8080
  vars_files:
    - vars/common.yml
    - ["vars/{{ env }}.yml", vars/default.yml]
  tasks:
    - name: ssh
      ufw: {rule: allow, port: "22", from_ip: "{{ ssh_from }}"}
    - name: admin
      ufw: {rule: allow, port: "{{ admin_port }}", from_ip: "{{ admin_from }}"}
    - name: web
      ufw: {rule: allow, port: "{{ web_port }}"}
"""

INI = """# production
[web]
web1
web2 ssh_from=any

[db]
db1 ansible_host=10.0.0.5

[prod:children]
web
db

[web:vars]
ssh_from=10.0.0.0/8
"""


def rows(report):
    return [(e.location.line, str(e.port_range), e.scope, [(s.label, s.file, s.line) for s in e.origins])
            for e in report.exposures]


def test_ini_inventory_group_vars_folder_and_vars_files(tmp_path):
    report = run_tree(tmp_path, {
        "site.yml": PLAY,
        "inventory/hosts": INI,
        "group_vars/web/10-ports.yml": "web_port: 8000\n",
        "group_vars/web/sub/20-override.yml": "web_port: 6379\n",   # walked in place, after 10-ports.yml
        "group_vars/web/.hidden.yml": "web_port: 1\n",              # hidden: Ansible leaves it out
        "group_vars/web.yml": "web_port: 2\n",                      # the folder web/ comes first: not read
        "vars/common.yml": "admin_from: 192.168.0.0/16\n",
        "vars/prod.yml": "admin_port: 5900\nadmin_from: any\n",     # vars/{{ env }}.yml with env from play vars
        "vars/default.yml": "admin_port: 1\n",                       # a list entry takes its first existing file
    })
    assert report.errors == []
    assert rows(report) == [
        # prod's hosts: web1 (10.0.0.0/8 from [web:vars]), web2 (inline ssh_from=any), db1 (unset):
        # the most exposed value is judged and named
        (9, "22", "internet", [("inventory host web2", "inventory/hosts", 4)]),
        # vars_files beat play vars; the later vars_files entry beats the earlier one
        (11, "5900", "internet", [("vars_files", "vars/prod.yml", 2), ("vars_files", "vars/prod.yml", 1)]),
        (13, "6379", "internet", [("group_vars/web", "group_vars/web/sub/20-override.yml", 1)]),
    ]
    assert [(f.location.line, f.rule_id) for f in report.findings] == [(9, "PL101"), (11, "PL101"), (13, "PL101")]


def test_without_the_inventory_groups_are_unknown_and_values_stay_unresolved(tmp_path):
    # the same play with no inventory: `prod` has no group_vars, web's folder is not prod's
    files = {"site.yml": PLAY, "group_vars/web/10-ports.yml": "web_port: 6379\n"}
    report = run_tree(tmp_path, files)
    assert report.errors == []
    # a task whose arguments keep {{ }} opens unknown ports to unknown sources (reported as unresolved)
    assert [(line, ports, scope) for line, ports, scope, _ in rows(report)] == [
        (9, "0-65535", "unknown"), (11, "0-65535", "unknown"), (13, "0-65535", "unknown")]


def test_yaml_inventory_children_host_vars_folder_and_child_beats_parent(tmp_path):
    report = run_tree(tmp_path, {
        "play.yml": """- hosts: replicas
  tasks:
    - name: postgres
      ufw: {rule: allow, port: "{{ pg_port }}", from_ip: "{{ pg_from }}"}
- hosts: primary
  tasks:
    - name: postgres primary
      ufw: {rule: allow, port: "{{ pg_port }}", from_ip: "{{ pg_from }}"}
""",
        "hosts.yml": """all:
  vars:
    pg_from: 10.0.0.0/8
  children:
    databases:
      children:
        primary:
          hosts:
            pg1:
              pg_port: 5432
        replicas:
          hosts:
            pg2:
            pg3:
          vars:
            pg_port: 5433
""",
        "group_vars/databases.yml": "pg_port: 1111\n",
        "group_vars/replicas.yml": "pg_port: 15432\n",     # child group beats the parent and inventory vars
        "host_vars/pg3/net.yml": "pg_from: 0.0.0.0/0\n",   # a host_vars folder
    })
    assert report.errors == []
    assert rows(report) == [
        # replicas: pg3's host_vars folder opens it to everyone; group_vars/replicas beats the parent's
        # group_vars/databases and the inventory's own replicas vars
        (3, "15432", "internet", [("host_vars/pg3", "host_vars/pg3/net.yml", 1),
                                  ("group_vars/replicas", "group_vars/replicas.yml", 1)]),
        # primary: the inventory's inline host var beats group_vars files; `all` vars give the sources
        (7, "5432", "private", [("inventory group all", "hosts.yml", 3), ("inventory host pg1", "hosts.yml", 10)]),
    ]


def test_when_uses_inventory_values_and_stays_open_when_hosts_differ(tmp_path):
    report = run_tree(tmp_path, {
        "play.yml": """- hosts: web
  tasks:
    - name: only where legacy
      ufw: {rule: allow, port: "23"}
      when: legacy | bool
    - name: never here
      ufw: {rule: allow, port: "21"}
      when: ftp | bool
""",
        "hosts": "[web]\nold legacy=True\nnew legacy=False\n\n[web:vars]\nftp=no\n",
    })
    assert report.errors == []
    assert [(e.location.line, str(e.port_range)) for e in report.exposures] == [(3, "23")]


PLAIN = """- hosts: web
  tasks:
    - name: ssh
      ufw: {rule: allow, port: "{{ ssh_port }}"}
    - name: rdp for everyone
      ufw: {rule: allow, port: "3389"}
"""


def test_hostile_vars_folder_and_huge_inventory_cost_only_themselves(tmp_path, monkeypatch):
    from portlint import limits

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yml").write_text("ssh_port: 2222\n")
    tree = tmp_path / "repo"
    (tree / "group_vars" / "web").mkdir(parents=True)
    (tree / "group_vars" / "web" / "10.yml").write_text("ssh_port: 22\n")
    os.mkfifo(tree / "group_vars" / "web" / "20-fifo.yml")                 # never opened
    os.symlink(outside / "secret.yml", tree / "group_vars" / "web" / "30-link.yml")  # leads out of the tree
    os.symlink(outside, tree / "group_vars" / "web" / "40-dir")
    (tree / "inventory").mkdir()
    (tree / "inventory" / "hosts").write_text("[web]\n" + "".join(f"h{i}\n" for i in range(500)))
    (tree / "play.yml").write_text(PLAIN)
    monkeypatch.setattr(limits, "INVENTORY_ENTRIES", 100)
    from portlint.engine import Options, run

    report = run([tree], Options(cwd=tree, environ={}, project_root=tree))
    # discovery reports the links out of the tree as it finds them; the inventory over the limit is an
    # error at the play that asked for it, and is not used
    assert [(e.file, e.line) for e in report.errors] == [
        ("group_vars/web/30-link.yml", 1), ("group_vars/web/40-dir", 1), ("play.yml", 1)]
    assert "INVENTORY_ENTRIES" in report.errors[-1].message and "not used" in report.errors[-1].message
    # the vars folder still gives ssh_port from its regular file inside the tree; the good risky task
    # keeps its finding
    assert [(e.location.line, str(e.port_range)) for e in report.exposures] == [(3, "22"), (5, "3389")]
    assert [(f.location.line, f.rule_id) for f in report.findings] == [(3, "PL101"), (5, "PL101")]


def test_a_vars_file_out_of_the_tree_is_an_error_at_its_entry(tmp_path):
    (tmp_path / "outside.yml").write_text("ssh_port: 2222\n")
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "play.yml").write_text("""- hosts: web
  vars_files:
    - ../outside.yml
  tasks:
    - name: rdp for everyone
      ufw: {rule: allow, port: "3389"}
""")
    from portlint.engine import Options, run

    report = run([tree], Options(cwd=tree, environ={}, project_root=tree))
    assert [(e.file, e.line) for e in report.errors] == [("play.yml", 3)]
    assert "outside the project root" in report.errors[0].message
    assert [(f.location.line, f.rule_id) for f in report.findings] == [(5, "PL101")]


def test_a_bad_ini_section_costs_only_its_lines(tmp_path):
    report = run_tree(tmp_path, {
        "play.yml": """- hosts: web
  tasks:
    - name: ssh
      ufw: {rule: allow, port: "22", from_ip: "{{ ssh_from }}"}
""",
        "hosts": "[web\nbroken\n[web]\nweb1 ssh_from=any\n",
    })
    assert [(e.file, e.line, e.message) for e in report.errors] == [
        ("play.yml", 1, "hosts:1: not an inventory section header: '[web'")]
    assert [(e.location.line, e.scope) for e in report.exposures] == [(3, "internet")]


def test_list_dir_is_confined_regular_and_bounded(tmp_path, monkeypatch):
    import pytest

    from portlint import limits
    from portlint.inputs import ReadRefused
    from portlint.parsers import ParseContext

    root = tmp_path / "root"
    (root / "vars" / "sub").mkdir(parents=True)
    (root / "vars" / "a.yml").write_text("x: 1\n")
    os.mkfifo(root / "vars" / "fifo")
    os.symlink(tmp_path, root / "vars" / "out")
    os.symlink(root / "vars" / "a.yml", root / "vars" / "b-link.yml")  # inside the tree: kept
    ctx = ParseContext(project_root=root)
    assert [(p.name, sub) for p, sub in ctx.list_dir(root / "vars")] == [
        ("a.yml", False), ("b-link.yml", False), ("sub", True)]
    assert ctx.list_dir(root / "missing") == [] and ctx.list_dir(root / "vars" / "a.yml") == []
    with pytest.raises(ReadRefused):
        ctx.list_dir(root / "vars" / "out")
    monkeypatch.setattr(limits, "FILES", 3)
    with pytest.raises(limits.LimitExceeded):
        ctx.list_dir(root / "vars")
