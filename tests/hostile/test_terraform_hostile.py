"""Hostile Terraform: a bad block, file or module costs only itself, within the documented limits.

Each case puts a bad file beside a good risky one (SSH open to the internet,
PL101 at line 1) and asserts the bad file is named at its line and the good
finding survives.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from portlint import limits
from portlint.engine import Options, run

GOOD = ('resource "aws_security_group_rule" "ssh" {\n  type        = "ingress"\n  from_port   = 22\n'
        '  to_port     = 22\n  protocol    = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n}\n')
GCP = ('resource "google_compute_firewall" "rdp" {\n  network = "default"\n  allow {\n    protocol = "tcp"\n'
       '    ports    = ["3389"]\n  }\n  source_ranges = ["0.0.0.0/0"]\n}\n')


def rule(name: str, cidrs: str, port: int = 1) -> str:
    return (f'resource "aws_security_group_rule" "{name}" {{\n  type        = "ingress"\n  from_port   = {port}\n'
            f'  to_port     = {port}\n  protocol    = "tcp"\n  cidr_blocks = {cidrs}\n}}\n')


def check(root: Path, files: dict[str, str], **options):
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    options.setdefault("environ", {})
    return run([root], Options(cwd=root, **options))


def errors(report):
    return [(e.file, e.line, e.message) for e in report.errors]


def findings(report):
    return sorted((f.rule_id, f.location.file, f.location.line) for f in report.findings)


CASES = {
    "truncated tf.json": ({"m/bad.tf.json": '{"'}, ("m/bad.tf.json", 1, "invalid JSON")),
    "for_each = 0": ({"m/bad.tf": 'resource "aws_security_group" "x" {\n  for_each = 0\n}\n'},
                     ("m/bad.tf", 2, "for_each must be a map or a set, got a number")),
    "setunion()": ({"m/bad.tf": 'locals {\n  a = setunion()\n}\n' + rule("y", "local.a")},
                   ("m/bad.tf", 2, "setunion() takes at least 1 argument, got 0")),
    "wrong arity": ({"m/bad.tf": rule("y", '[cidrsubnet("10.0.0.0/8")]')},
                    ("m/bad.tf", 6, "cidrsubnet() takes 3 arguments, got 1")),
    "count is a string": ({"m/bad.tf": 'resource "aws_security_group" "x" {\n  count = "many"\n}\n'},
                          ("m/bad.tf", 2, "count must be a whole number, got a string 'many'")),
    "range(1e9)": ({"m/bad.tf": 'locals {\n  a = range(1000000000)\n}\n' + rule("y", "local.a")},
                   ("m/bad.tf", 2, "range() of 1,000,000,000 elements exceeds portlint's limit of "
                                   "100,000 (raise it with PORTLINT_MAX_TF_COLLECTION")),
    "count = 1e8": ({"m/bad.tf": 'resource "aws_security_group_rule" "y" {\n  count = 100000000\n}\n'},
                    ("m/bad.tf", 2, "count = 100,000,000 exceeds portlint's limit of 100,000")),
    "pow(10, 1e6)": ({"m/bad.tf": rule("y", '["0.0.0.0/0"]', port="pow(10, 1000000)")},
                     ("m/bad.tf", 3, "pow()'s result exceeds portlint's limit of 1,000 "
                                     "(raise it with PORTLINT_MAX_TF_NUMBER_DIGITS")),
    "format width": ({"m/bad.tf": rule("y", '[format("%099999999d", 1)]')},
                     ("m/bad.tf", 6, "a format() width of")),
    "huge literal": ({"m/bad.tf": rule("y", '["0.0.0.0/0"]', port="1" + "0" * 5000)},
                     ("m/bad.tf", 3, "a number of 5,001 digits exceeds")),
    "local module missing": ({"m/bad.tf": 'module "db" {\n  source = "./modules/mysql-sg"\n}\n'},
                             ("m/bad.tf", 2, "module source ./modules/mysql-sg not found")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_block_is_named_at_its_line_and_the_good_file_is_kept(tmp_path, name):
    files, (file, line, message) = CASES[name]
    report = check(tmp_path, {**files, "m/good.tf": GOOD})
    assert [(e.file, e.line) for e in report.errors] == [(file, line)], errors(report)
    assert report.errors[0].message.startswith(message), report.errors[0].message
    assert ("PL101", "m/good.tf", 1) in findings(report)


def test_allow_as_a_string_costs_only_that_firewall(tmp_path):
    report = check(tmp_path, {
        "m/a.tf": 'resource "google_compute_firewall" "x" {\n  network = "default"\n  allow = "var.backends"\n}\n',
        "m/b.tf": GCP, "m/good.tf": GOOD})
    assert errors(report) == [("m/a.tf", 3, "allow must be a block, got a string")]
    assert findings(report) == [("PL101", "m/b.tf", 3), ("PL101", "m/good.tf", 1)]


def test_a_bad_ingress_block_costs_only_itself(tmp_path):
    report = check(tmp_path, {"m/sg.tf": """resource "aws_security_group" "web" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = max()
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  dynamic "ingress" {
    for_each = "not a collection"
    content {
      from_port = 1
    }
  }
  ingress {
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""})
    assert errors(report) == [("m/sg.tf", 9, "max() takes at least 1 argument, got 0"),
                              ("m/sg.tf", 15, 'for_each of dynamic "ingress" must be a map or a set, got a string')]
    assert findings(report) == [("PL101", "m/sg.tf", 2), ("PL101", "m/sg.tf", 20)]


def test_bad_protocol_text_is_an_input_error_at_its_line_not_a_crash(tmp_path):
    report = check(tmp_path, {"m/bad.tf": rule("y", '["0.0.0.0/0"]').replace('"tcp"', '"--6"'), "m/good.tf": GOOD})
    assert errors(report) == [("m/bad.tf", 5, "protocol '--6' is not an IP protocol")]
    assert ("PL101", "m/good.tf", 1) in findings(report)
    assert not [e for e in report.exposures if e.location.file == "m/bad.tf"]


def test_a_failing_local_costs_the_blocks_that_use_it_and_no_other(tmp_path):
    report = check(tmp_path, {
        "m/locals.tf": 'locals {\n  bad = setunion()\n  ok = ["0.0.0.0/0"]\n}\n',
        "m/main.tf": rule("uses_bad", "local.bad", port=22) + rule("uses_ok", "local.ok", port=22)})
    assert errors(report) == [("m/locals.tf", 2, "setunion() takes at least 1 argument, got 0")]
    assert findings(report) == [("PL101", "m/main.tf", 8)]


def test_bad_tfvars_value_costs_only_itself(tmp_path):
    report = check(tmp_path, {
        "m/main.tf": 'variable "cidrs" {}\n' + rule("y", "var.cidrs", port=22),
        "m/terraform.tfvars": 'junk = setunion()\ncidrs = ["0.0.0.0/0"]\n'})
    assert errors(report) == [("m/terraform.tfvars", 1, "setunion() takes at least 1 argument, got 0")]
    assert findings(report) == [("PL101", "m/main.tf", 2)]


def test_thirty_modules_and_one_broken_tf_json(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)  # the worker-process path
    files = {f"mod{i:02}/main.tf": GOOD for i in range(30)}
    files["mod07/broken.tf.json"] = '{"resource": {"aws_security_group": {'
    report = check(tmp_path, files)
    assert [(e.file, e.line) for e in report.errors] == [("mod07/broken.tf.json", 1)]
    assert findings(report) == [("PL101", f"mod{i:02}/main.tf", 1) for i in range(30)]


def test_a_worker_that_dies_costs_no_findings(tmp_path, monkeypatch):
    from portlint.parsers import terraform

    parent, real = os.getpid(), terraform._run_files

    def dying(files, ctx):
        if os.getpid() != parent and any("mod03" in f.display for f in files):
            os._exit(3)  # a crash the worker cannot report
        return real(files, ctx)

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(terraform, "_run_files", dying)
    report = check(tmp_path, {f"mod{i:02}/main.tf": GOOD for i in range(30)})
    assert not report.errors
    assert len(report.findings) == 30


# ----------------------------------------------------------------------------- modules


def test_module_cycle_is_reported_at_the_source_line(tmp_path):
    report = check(tmp_path, {"a/main.tf": 'module "b" {\n  source = "../b"\n}\n' + GOOD,
                              "b/main.tf": '\nmodule "a" {\n  source = "../a"\n}\n'})
    assert errors(report) == [("b/main.tf", 3, "module cycle: a -> b -> a")]
    assert ("PL101", "a/main.tf", 4) in findings(report)


def test_module_source_outside_the_project_is_not_read(tmp_path):
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "main.tf").write_text(rule("leak", '["0.0.0.0/0"]', port=3306))
    report = check(project, {
        "envs/prod/main.tf": 'module "x" {\n  source = "../../../outside"\n}\n'
                             f'module "abs" {{\n  source = "{(tmp_path / "outside").as_posix()}"\n}}\n',
        "envs/prod/good.tf": GOOD})
    root = project.resolve().as_posix()
    outside = (tmp_path / "outside").as_posix()
    assert errors(report) == [
        ("envs/prod/main.tf", 2, f"module source ../../../outside is outside the project root {root}; not read"),
        ("envs/prod/main.tf", 5, f"module source {outside} is outside the project root {root}; not read")]
    assert findings(report) == [("PL101", "envs/prod/good.tf", 1)]
    assert not any("outside" in e.location.file for e in report.exposures)


def test_module_inside_the_project_is_still_followed(tmp_path):
    (tmp_path / ".git").mkdir()
    report = check(tmp_path, {"envs/prod/main.tf": 'module "sg" {\n  source = "../../modules/sg"\n  port = 22\n}\n',
                              "modules/sg/main.tf": 'variable "port" {}\n' + rule("r", '["0.0.0.0/0"]',
                                                                                    port="var.port")})
    assert not report.errors
    assert findings(report) == [("PL101", "modules/sg/main.tf", 2)]


def test_module_fan_out_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "TF_MODULE_INSTANCES", 50)
    report = check(tmp_path, {
        "root/main.tf": 'module "a" {\n  source = "../a"\n  count  = 1000\n}\n',
        "a/main.tf": 'module "b" {\n  source = "../b"\n  count  = 1000\n}\n',
        "b/main.tf": 'resource "aws_security_group" "x" {\n}\n',
        "good/main.tf": GOOD})
    assert [(e.file, e.line) for e in report.errors] == [("a/main.tf", 1), ("root/main.tf", 1)], errors(report)
    assert "module instances in this run exceeds portlint's limit of 50" in report.errors[0].message
    assert findings(report) == [("PL101", "good/main.tf", 1)]


def test_module_depth_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "TF_MODULE_DEPTH", 3)
    report = check(tmp_path, {
        "deep/main.tf": 'module "d" {\n  source = "../d1"\n}\n',
        "d1/main.tf": 'module "d" {\n  source = "../d2"\n}\n',
        "d2/main.tf": 'module "d" {\n  source = "../d3"\n}\n',
        "d3/main.tf": 'module "d" {\n  source = "../d4"\n}\n',
        "d4/main.tf": GOOD,
        "good/main.tf": GOOD})
    assert [(e.file, e.line) for e in report.errors] == [("d3/main.tf", 2)], errors(report)
    assert "PORTLINT_MAX_TF_MODULE_DEPTH" in report.errors[0].message
    # the module the limit kept from being called is still checked, on its own defaults
    assert findings(report) == [("PL101", "d4/main.tf", 1), ("PL101", "good/main.tf", 1)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_tfvars_is_refused_not_read(tmp_path):
    (tmp_path / "m").mkdir()
    os.mkfifo(tmp_path / "m" / "terraform.tfvars")
    os.mkfifo(tmp_path / "m" / "extra.auto.tfvars")
    report = check(tmp_path, {"m/main.tf": GOOD})
    assert [(e.file, e.line) for e in report.errors] == [("m/extra.auto.tfvars", 1), ("m/terraform.tfvars", 1)]
    assert all("not a regular file" in e.message for e in report.errors), errors(report)
    assert findings(report) == [("PL101", "m/main.tf", 1)]


# ----------------------------------------------------------------------------- budgets

BUDGET_CASES = {
    "nested for": ('locals {\n  r = range(300)\n  a = [for x in local.r : [for y in local.r : [for z in local.r : z]]]\n}\n',
                   3, "PORTLINT_MAX_TF_STEPS"),
    "for_each over a big set": ('resource "aws_security_group" "x" {\n  for_each = toset([for i in range(5000) : tostring(i)])\n}\n',
                                2, "PORTLINT_MAX_TF_COLLECTION"),
    "replace blow-up": ('locals {\n  s = join("", [for i in range(500) : "aaaaaaaaaa"])\n  b = replace(local.s, "a", local.s)\n}\n',
                        3, "PORTLINT_MAX_TF_STRING"),
    "shared structure": ('locals {\n  l0 = ["x"]\n' + "".join(f"  l{i} = [local.l{i-1}, local.l{i-1}]\n" for i in range(1, 40))
                         + '  j = jsonencode(local.l39)\n}\n', 42, "PORTLINT_MAX_TF_"),
    "flatten of a shared structure": ('locals {\n  l0 = ["x"]\n' + "".join(
        f"  l{i} = [local.l{i-1}, local.l{i-1}]\n" for i in range(1, 40)) + '  f = flatten(local.l39)\n}\n',
        42, "PORTLINT_MAX_TF_"),
}


@pytest.mark.parametrize("name", list(BUDGET_CASES))
def test_budgets_stop_blow_ups_at_their_line(tmp_path, monkeypatch, name):
    monkeypatch.setattr(limits, "TF_STEPS", 20_000)
    monkeypatch.setattr(limits, "TF_COLLECTION", 1_000)
    monkeypatch.setattr(limits, "TF_STRING", 10_000)
    text, line, limit_name = BUDGET_CASES[name]
    uses = {"nested for": "a", "replace blow-up": "b", "shared structure": "j",
            "flatten of a shared structure": "f"}.get(name)
    bad = text + (rule("y", f"[local.{uses}]") if uses else "")
    report = check(tmp_path, {"m/bad.tf": bad, "m/good.tf": GOOD})
    assert [(e.file, e.line) for e in report.errors] == [("m/bad.tf", line)], errors(report)
    assert limit_name in report.errors[0].message
    assert ("PL101", "m/good.tf", 1) in findings(report)


def test_run_wide_budget_stops_many_expensive_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "TF_STEPS", 30_000)
    monkeypatch.setattr(limits, "TF_RUN_STEPS", 30_000)
    expensive = "".join(rule(f"r{i}", "slice([for i in range(25000) : i], 0, 1)") for i in range(5))
    report = check(tmp_path, {"m/a.tf": expensive})
    messages = [e.message for e in report.errors]
    assert any("PORTLINT_MAX_TF_RUN_STEPS" in m for m in messages), messages


# ----------------------------------------------------------------------------- properties

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from portlint.parsers.terraform.functions import FUNCTIONS  # noqa: E402

_ATOMS = st.sampled_from(['"0.0.0.0/0"', '"10.0.0.0/8"', "22", "-1", "0", "1e3", "true", "null", '""', '"--6"',
                          '"²"', "var.v", "local.a", "local.b", "each.key", "count.index", '"%099d"', '"${"'])


def _expressions():
    def extend(inner):
        args = st.lists(inner, max_size=4).map(", ".join)
        return st.one_of(
            st.tuples(st.sampled_from(sorted(FUNCTIONS)), args).map(lambda t: f"{t[0]}({t[1]})"),
            args.map(lambda a: f"[{a}]"),
            st.tuples(inner, inner).map(lambda t: f"{{ k = {t[0]}, j = {t[1]} }}"),
            st.tuples(inner, inner).map(lambda t: f"[for x in {t[0]} : {t[1]}]"),
            st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
            st.tuples(inner, st.sampled_from(["+", "*", "==", "&&", "%"]), inner).map(" ".join),
        )
    return st.recursive(_ATOMS, extend, max_leaves=12)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(a=_expressions(), b=_expressions(), shape=st.sampled_from(["count", "for_each", "cidrs", "ports", "dynamic"]))
def test_no_expression_escapes_and_the_good_file_is_kept(tmp_path_factory, monkeypatch, a, b, shape):
    monkeypatch.setattr(limits, "TF_STEPS", 20_000)
    monkeypatch.setattr(limits, "TF_COLLECTION", 1_000)
    monkeypatch.setattr(limits, "TF_STRING", 10_000)
    root = tmp_path_factory.mktemp("tree")
    use = {"count": "count = local.a\n", "for_each": "for_each = local.a\n", "cidrs": "cidr_blocks = local.a\n",
           "ports": "from_port = local.b\n  to_port = local.a\n",
           "dynamic": 'dynamic "ingress" {\n    for_each = local.a\n    content {\n      from_port = local.b\n'
                      '    }\n  }\n'}[shape]
    bad = (f'variable "v" {{\n  default = {b}\n}}\nlocals {{\n  a = {a}\n  b = {b}\n}}\n'
           f'resource "aws_security_group" "x" {{\n  {use}}}\n')
    report = check(root, {"m/bad.tf": bad, "m/good.tf": GOOD, "n/main.tf.json": '{"variable": {"v": {}}}'})
    assert ("PL101", "m/good.tf", 1) in findings(report)
    assert all(e.file == "m/bad.tf" and e.line >= 1 for e in report.errors), errors(report)
    assert not any("internal error" in e.message for e in report.errors), errors(report)
