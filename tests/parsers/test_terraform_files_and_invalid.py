"""Terraform: file functions read through the parse context, and values a provider rejects are input errors.

``file()``, ``templatefile()``, ``fileexists()`` and the decoders work on files
inside the project root only (regular files, within the size limit), relative
paths from the root module's folder; anything else is an input error at the
call's line. A CIDR that is not an address, a reversed or out-of-range port
range and a protocol that is not one are rejected by the provider at plan or
apply, so they are input errors at their own line, and the rest of the file
keeps its findings.
"""

from __future__ import annotations

import os
from pathlib import Path

from portlint.engine import Options, run

SSH = ('resource "aws_security_group_rule" "ssh" {\n  type        = "ingress"\n  from_port   = 22\n'
       '  to_port     = 22\n  protocol    = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n}\n')  # PL101 at line 1


def sg(cidrs: str, port: int = 5432, name: str = "db") -> str:
    """An inline rule; its finding is on line 2 (the ingress block), cidr_blocks on line 6."""
    return (f'resource "aws_security_group" "{name}" {{\n  ingress {{\n    from_port   = {port}\n'
            f'    to_port     = {port}\n    protocol    = "tcp"\n    cidr_blocks = {cidrs}\n  }}\n}}\n')


def check(root: Path, files: dict, **options):
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if callable(text):
            text(target)
        else:
            target.write_text(text)
    options.setdefault("environ", {})
    return run([root / "project"], Options(cwd=root / "project", project_root=root / "project", **options))


def errors(report):
    return [(e.file, e.line, e.message) for e in report.errors]


def found(report):
    return sorted((f.rule_id, f.location.file, f.location.line, f.severity.label) for f in report.findings)


# -- file functions ------------------------------------------------------------------------------


def test_jsondecode_of_a_file_in_the_module_is_evaluated(tmp_path):
    report = check(tmp_path, {
        "project/net/allow.json": '{"admin": ["0.0.0.0/0"]}\n',
        "project/net/main.tf": sg('jsondecode(file("${path.module}/allow.json")).admin')})
    assert errors(report) == []
    assert found(report) == [("PL101", "net/main.tf", 2, "high")]


def test_relative_file_paths_start_at_the_root_module_folder(tmp_path):
    report = check(tmp_path, {
        "project/net/cidrs.txt": "0.0.0.0/0\n",
        "project/net/main.tf": sg('[trimspace(file("cidrs.txt"))]')})
    assert errors(report) == []
    assert found(report) == [("PL101", "net/main.tf", 2, "high")]


def test_templatefile_renders_with_its_variables_only(tmp_path):
    report = check(tmp_path, {
        "project/net/cidrs.tpl": '["${office}", "${anyone}"]',
        "project/net/main.tf": sg('jsondecode(templatefile("${path.module}/cidrs.tpl", '
                                  '{ office = "10.0.0.0/8", anyone = "0.0.0.0/0" }))')})
    assert errors(report) == []
    assert found(report) == [("PL101", "net/main.tf", 2, "high")]


def test_yamldecode_and_fileexists(tmp_path):
    report = check(tmp_path, {
        "project/net/allow.yaml": "admin:\n  - 10.1.0.0/16\n  - 0.0.0.0/0\n",
        "project/net/main.tf": sg('fileexists("${path.module}/allow.yaml") ? '
                                  'yamldecode(file("${path.module}/allow.yaml")).admin : []')
                               + sg('fileexists("${path.module}/missing.yaml") ? ["0.0.0.0/0"] : ["10.1.0.0/16"]',
                                    name="quiet")})
    assert errors(report) == []
    assert found(report) == [("PL101", "net/main.tf", 2, "high")]


def test_a_file_outside_the_project_root_is_an_input_error_at_the_call(tmp_path):
    report = check(tmp_path, {
        "secret.txt": "0.0.0.0/0\n",
        "project/net/main.tf": sg('[file("../../secret.txt")]') + SSH})
    assert errors(report) == [("net/main.tf", 6, 'file("../../secret.txt"): it is outside the project root; '
                                                 "portlint reads nothing outside the checked project")]
    assert found(report) == [("PL101", "net/main.tf", 9, "high")]


def test_templatefile_of_an_absolute_path_outside_is_refused(tmp_path):
    report = check(tmp_path, {"project/net/main.tf": sg('[templatefile("/etc/passwd", {})]') + SSH})
    assert [(f, line) for f, line, _ in errors(report)] == [("net/main.tf", 6)]
    assert "outside the project root" in report.errors[0].message
    assert found(report) == [("PL101", "net/main.tf", 9, "high")]


def test_a_fifo_is_never_opened(tmp_path):
    report = check(tmp_path, {
        "project/net/pipe": lambda path: os.mkfifo(path),
        "project/net/main.tf": sg('[file("${path.module}/pipe")]') + SSH})
    messages = [m for f, line, m in errors(report) if (f, line) == ("net/main.tf", 6)]
    assert messages and "not a regular file" in messages[0]
    assert ("PL101", "net/main.tf", 9, "high") in found(report)


def test_a_missing_file_is_an_input_error_and_a_bad_json_file_too(tmp_path):
    report = check(tmp_path, {
        "project/net/bad.json": '{"admin": [',
        "project/net/main.tf": sg('[file("${path.module}/nope.txt")]') + SSH
                               + sg('jsondecode(file("${path.module}/bad.json")).admin', name="json")})
    assert [(f, line) for f, line, _ in errors(report)] == [("net/main.tf", 6), ("net/main.tf", 21)]
    assert "no such file" in report.errors[0].message
    assert "invalid JSON" in report.errors[1].message
    assert found(report) == [("PL101", "net/main.tf", 9, "high")]


def test_a_file_too_large_for_a_string_is_refused_by_the_limit(tmp_path, monkeypatch):
    from portlint import limits

    monkeypatch.setattr(limits, "TF_STRING", 1000)
    report = check(tmp_path, {
        "project/net/big.txt": "x" * 5000,
        "project/net/main.tf": sg('[file("${path.module}/big.txt")]') + SSH})
    assert [(f, line) for f, line, _ in errors(report)] == [("net/main.tf", 6)]
    assert "PORTLINT_MAX_TF_STRING" in report.errors[0].message


# -- values the provider rejects -------------------------------------------------------------------


def test_a_cidr_that_is_not_an_address_is_an_input_error_at_its_line(tmp_path):
    report = check(tmp_path, {"project/main.tf": sg('["10.0.0.0/8", "300.1.1.1/33"]') + SSH})
    assert errors(report) == [("main.tf", 6, "cidr_blocks: '300.1.1.1/33' is not a CIDR block "
                                             "(the provider rejects it)")]
    assert found(report) == [("PL101", "main.tf", 9, "high")]


def test_reversed_and_out_of_range_ports_are_input_errors_at_their_line(tmp_path):
    text = (sg('["0.0.0.0/0"]').replace("to_port     = 5432", "to_port     = 1")
            + SSH
            + 'resource "google_compute_firewall" "big" {\n  network = "default"\n  allow {\n'
              '    protocol = "tcp"\n    ports    = ["70000"]\n  }\n  source_ranges = ["0.0.0.0/0"]\n}\n')
    report = check(tmp_path, {"project/main.tf": text})
    assert [(f, line) for f, line, _ in errors(report)] == [("main.tf", 4), ("main.tf", 20)]
    assert "from_port 5432 is greater than to_port 1" in report.errors[0].message
    assert "70000" in report.errors[1].message
    assert found(report) == [("PL101", "main.tf", 9, "high")]


def test_a_protocol_that_is_not_one_is_an_input_error_and_valid_numbers_pass(tmp_path):
    text = sg('["0.0.0.0/0"]').replace('"tcp"', '"tpc"') + SSH + sg('["0.0.0.0/0"]', 3306, "num").replace(
        '"tcp"', '"6"')
    report = check(tmp_path, {"project/main.tf": text})
    assert errors(report) == [("main.tf", 5, "protocol 'tpc' is not an IP protocol")]
    assert found(report) == [("PL101", "main.tf", 9, "high"), ("PL101", "main.tf", 17, "high")]
