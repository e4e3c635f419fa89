"""Issue 14: the Terraform grammar cache, token positions, --jobs, the result cache, lean start-up."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

HCL = '''resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 22
    to_port     = var.port == 1 ? 22 : (
      23
    )
    cidr_blocks = ["0.0.0.0/0", local.x[0]]
  }
  dynamic "egress" {
    for_each = { for k, v in var.m : k => v if v != null }
    content { x = "${egress.value}-a" }
  }
}
'''


def _run(code: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, timeout=120)


# --------------------------------------------------------------------------- HCL parser


def test_token_positions_equal_the_positions_lark_propagates():
    """Same grammar, same tree: every subtree's span read from its tokens is the one
    python-hcl2's propagate_positions parser gives it."""
    from hcl2 import parses_to_tree

    from portlint.parsers.terraform.hcl import hcl_parser, tree_span

    expected = list(parses_to_tree(HCL).iter_subtrees_topdown())
    got = list(hcl_parser().parse(HCL + "\n").iter_subtrees_topdown())
    assert [t.data for t in expected] == [t.data for t in got]
    spans = [(t.data, (s.line, s.column, s.end_line)) for t, s in ((t, tree_span(t)) for t in got)]
    metas = [(t.data, (t.meta.line, t.meta.column, t.meta.end_line)) for t in expected if not t.meta.empty]
    assert sorted(spans) == sorted(metas)
    # a known node: the ternary spans lines 5 to 7, starting at its condition's column
    conditional = next(t for t in got if t.data == "conditional")
    span = tree_span(conditional)
    assert (span.line, span.column, span.end_line) == (5, 19, 7)


def test_grammar_cache_is_written_to_the_user_cache_folder_not_python_hcl2s(tmp_path):
    import hcl2  # only for its folder

    package = Path(hcl2.__file__).parent
    before = sorted(p.name for p in package.iterdir())
    result = _run("from portlint.parsers.terraform.hcl import load_hcl; "
                  "print(load_hcl('a = 1\\n').attributes['a'].span.line)",
                  env={"PORTLINT_CACHE_DIR": str(tmp_path / "c")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
    cached = list((tmp_path / "c" / "grammar").glob("hcl2-*.lark"))
    assert len(cached) == 1 and cached[0].stat().st_size > 10_000
    assert sorted(p.name for p in package.iterdir()) == before
    assert stat.S_IMODE((tmp_path / "c" / "grammar").stat().st_mode) == 0o700


def test_a_damaged_grammar_cache_is_rebuilt_not_trusted(tmp_path):
    env = {"PORTLINT_CACHE_DIR": str(tmp_path)}
    code = "from portlint.parsers.terraform.hcl import load_hcl; print(load_hcl('x = 2\\n').attributes['x'].span.line)"
    assert _run(code, env).stdout.strip() == "1"
    (cached,) = (tmp_path / "grammar").glob("hcl2-*.lark")
    cached.write_bytes(b"not a cache\n\x80\x04garbage")
    result = _run(code, env)
    assert result.returncode == 0 and result.stdout.strip() == "1" and result.stderr == ""
    assert cached.stat().st_size > 10_000  # written again


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_a_grammar_folder_others_can_write_is_not_used(tmp_path):
    from portlint.cache import private_folder

    (tmp_path / "grammar").mkdir()
    os.chmod(tmp_path / "grammar", 0o777)
    assert private_folder("grammar", tmp_path) is None
    os.chmod(tmp_path / "grammar", 0o700)
    assert private_folder("grammar", tmp_path) == str(tmp_path / "grammar")
    (tmp_path / "linked").symlink_to(tmp_path / "grammar")
    assert private_folder("linked", tmp_path) is None


# --------------------------------------------------------------------------- --jobs


def test_cpu_count_is_the_smaller_of_affinity_and_cgroup_v2_quota(tmp_path):
    from portlint.jobs import available_cpus, cgroup_cpu_quota

    proc = tmp_path / "cgroup"
    proc.write_text("0::/ci/job\n")
    (tmp_path / "ci" / "job").mkdir(parents=True)
    (tmp_path / "ci" / "job" / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpu_quota(tmp_path, proc) == 2  # 1.5 CPUs: two workers can use them
    assert available_cpus(tmp_path, proc) == min(2, len(os.sched_getaffinity(0)))
    (tmp_path / "ci" / "job" / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_quota(tmp_path, proc) is None
    (tmp_path / "ci" / "job" / "cpu.max").write_text("50000 100000\n")
    assert available_cpus(tmp_path, proc) == 1


def test_cgroup_v1_quota_and_no_quota(tmp_path):
    from portlint.jobs import cgroup_cpu_quota

    proc = tmp_path / "cgroup"
    proc.write_text("12:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n")
    folder = tmp_path / "cpu,cpuacct" / "docker" / "abc"
    folder.mkdir(parents=True)
    (folder / "cpu.cfs_quota_us").write_text("300000\n")
    (folder / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_quota(tmp_path, proc) == 3
    (folder / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_cpu_quota(tmp_path, proc) is None
    assert cgroup_cpu_quota(tmp_path / "missing", tmp_path / "missing-proc") is None


def test_resolve_jobs():
    from portlint.jobs import MAX_JOBS, available_cpus, resolve_jobs

    assert resolve_jobs(1) == 1
    assert resolve_jobs(0) == resolve_jobs(None) == min(available_cpus(), MAX_JOBS)
    assert resolve_jobs(10_000) == MAX_JOBS


def _terraform_tree(root: Path, modules: int = 14) -> None:
    """Enough files for worker processes (two per module), modules calling a shared one."""
    shared = root / "modules" / "sg"
    shared.mkdir(parents=True)
    (shared / "main.tf").write_text(
        'variable "port" {}\nvariable "cidr" { default = "0.0.0.0/0" }\n'
        'resource "aws_security_group" "this" {\n  ingress {\n    from_port = var.port\n'
        '    to_port = var.port\n    protocol = "tcp"\n    cidr_blocks = [var.cidr]\n  }\n}\n')
    ports = [22, 3306, 5432, 6379, 9200, 27017, 3389, 23, 445, 11211, 2375, 5900, 8080, 443]
    for i in range(modules):
        folder = root / f"stack{i:02d}"
        folder.mkdir()
        (folder / "main.tf").write_text(
            f'module "sg" {{\n  source = "../modules/sg"\n  port = var.port\n}}\n'
            f'resource "aws_security_group_rule" "r{i}" {{\n  type = "ingress"\n  from_port = {ports[i % 14]}\n'
            f'  to_port = {ports[i % 14]}\n  protocol = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n'
            f'  security_group_id = "sg-1"\n}}\n')
        (folder / "variables.tf").write_text(f'variable "port" {{ default = {ports[(i + 3) % 14]} }}\n')
    (root / "compose.yaml").write_text('services:\n  db:\n    ports: ["5432:5432"]\n')


def _check_json(run_cli, *args) -> str:
    result = run_cli("check", "--format", "json", "--fail-on", "never", *args)
    assert result.exit_code in (0, 2), result.output
    return result.output


def test_output_is_identical_for_any_jobs_and_any_file_order(tmp_path, run_cli, monkeypatch):
    _terraform_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.tf")) + ["compose.yaml"]
    sequential = _check_json(run_cli, "--no-cache", "--jobs", "1", *files)
    assert '"PL101"' in sequential and "stack13/main.tf" in sequential
    for jobs in ("2", "3", "0"):
        assert _check_json(run_cli, "--no-cache", "--jobs", jobs, *reversed(files)) == sequential
        assert _check_json(run_cli, "--cache-dir", str(tmp_path / f".c{jobs}"), "--jobs", jobs,
                           *reversed(files)) == sequential


def test_jobs_1_starts_no_worker_process(tmp_path, monkeypatch):
    from portlint import workers
    from portlint.engine import Options, run

    _terraform_tree(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("a worker process was started with --jobs 1")

    monkeypatch.setattr(os, "fork", refuse)
    monkeypatch.setattr(workers, "MIN_BYTES", 0)
    for cache in (False, True):
        report = run([tmp_path], Options(environ={}, cwd=tmp_path, jobs=1, cache=cache,
                                         cache_dir=tmp_path / ".cache"))
        assert not report.errors and len(report.exposures) >= 28


# --------------------------------------------------------------------------- the result cache


def _tree_dirs() -> list[Path]:
    examples = REPO / "examples"
    return [examples] + sorted(p for p in examples.iterdir() if p.is_dir())


@pytest.mark.parametrize("tree", _tree_dirs(), ids=lambda p: p.name)
def test_cached_and_uncached_runs_are_identical_on_every_example_tree(tree, tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tree)
    cache = str(tmp_path / "cache")
    for command in (["check", "--format", "json", "--fail-on", "never"], ["inventory", "--format", "json"]):
        uncached = run_cli(*command, "--no-cache", ".")
        cold = run_cli(*command, "--cache-dir", cache, ".")
        warm = run_cli(*command, "--cache-dir", cache, ".")
        assert uncached.output == cold.output == warm.output
        assert uncached.exit_code == cold.exit_code == warm.exit_code
    import json

    if json.loads(uncached.output)["summary"]["files_scanned"]:
        # Compose keeps no result entries (cache_results = False): the run cache replays the run
        assert list((tmp_path / "cache" / "results").rglob("*.json")) or (
            tree.name == "compose" and list((tmp_path / "cache" / "runs").iterdir()))


def _run_with_cache(root: Path, cache: Path, environ=None, **kw):
    from portlint import cache as cache_module
    from portlint.engine import Options, run

    report = run([root], Options(environ=environ or {}, cwd=root, cache=True, cache_dir=cache, jobs=1, **kw))
    return report, cache_module.ResultCache.last


def test_a_change_reparses_only_what_depends_on_it(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    _terraform_tree(tree, modules=6)
    sg = ('resource "aws_security_group_rule" "r" {{\n  type = "ingress"\n  from_port = {0}\n  to_port = {0}\n'
          '  protocol = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n  security_group_id = "sg-1"\n}}\n')
    for i in range(5):
        (tree / f"app{i}").mkdir()
        (tree / f"app{i}" / "compose.yaml").write_text(f'services:\n  s:\n    ports: ["{8000 + i}:80"]\n')
        (tree / f"solo{i}").mkdir()
        (tree / f"solo{i}" / "main.tf").write_text(sg.format(8000 + i))
    first, stats = _run_with_cache(tree, cache)
    assert stats.hits == 0 and stats.misses > 0
    again, stats = _run_with_cache(tree, cache)
    assert (stats.hits, stats.misses) == (first_groups := stats.hits, 0) and first_groups == 6
    assert again.exposures == first.exposures and again.errors == first.errors
    (tree / "solo3" / "main.tf").write_text(sg.format(6379))
    changed, stats = _run_with_cache(tree, cache)
    assert stats.misses == 1 and stats.hits == first_groups - 1
    assert any(e.location.file == "solo3/main.tf" and e.port_range.start == 6379 for e in changed.exposures)
    # Compose keeps no result entries (cache_results = False): a change is simply parsed again
    (tree / "app3" / "compose.yaml").write_text('services:\n  s:\n    ports: ["6379:6379"]\n')
    changed, stats = _run_with_cache(tree, cache)
    assert (stats.hits, stats.misses) == (first_groups, 0)
    assert any(e.location.file == "app3/compose.yaml" and e.port_range.start == 6379 for e in changed.exposures)


def test_a_called_module_outside_the_checked_folder_is_part_of_the_key(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    _terraform_tree(tree, modules=2)
    checked = tree / "stack00"
    report, _ = _run_with_cache(checked, cache, project_root=tree)
    ports = sorted(e.port_range.start for e in report.exposures)
    main = tree / "modules" / "sg" / "main.tf"
    main.write_text(main.read_text().replace("var.port\n    to_port = var.port", "8443\n    to_port = 8443"))
    changed, stats = _run_with_cache(checked, cache, project_root=tree)
    assert stats.misses == 1
    assert sorted(e.port_range.start for e in changed.exposures) != ports
    assert 8443 in [e.port_range.start for e in changed.exposures]
    # a new file in the called module's folder changes what Terraform reads: a miss too
    (tree / "modules" / "sg" / "extra.tf").write_text(
        'resource "aws_security_group" "more" {\n  ingress {\n    from_port = 23\n    to_port = 23\n'
        '    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n')
    more, stats = _run_with_cache(checked, cache, project_root=tree)
    assert stats.misses == 1 and 23 in [e.port_range.start for e in more.exposures]


def test_environment_and_env_files_are_part_of_the_key(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    (tree / "compose.yaml").write_text('services:\n  s:\n    ports: ["${PORT:-80}:80"]\n')
    (tree / "main.tf").write_text(
        'variable "p" { default = 22 }\nresource "aws_security_group" "a" {\n  ingress {\n'
        '    from_port = var.p\n    to_port = var.p\n    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n')

    def ports(report):
        return sorted((e.location.file, e.port_range.start) for e in report.exposures)

    base, _ = _run_with_cache(tree, cache)
    assert ports(base) == [("compose.yaml", 80), ("main.tf", 22)]
    env, _ = _run_with_cache(tree, cache, environ={"PORT": "5432", "TF_VAR_p": "3306"})
    assert ports(env) == [("compose.yaml", 5432), ("main.tf", 3306)]
    (tree / ".env").write_text("PORT=6379\n")
    dotenv, _ = _run_with_cache(tree, cache)
    assert ports(dotenv) == [("compose.yaml", 6379), ("main.tf", 22)]
    (tree / "terraform.tfvars").write_text("p = 2375\n")
    tfvars, _ = _run_with_cache(tree, cache)
    assert ("main.tf", 2375) in ports(tfvars)


def test_damaged_or_hostile_cache_entries_are_ignored(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    _terraform_tree(tree, modules=3)
    clean, _ = _run_with_cache(tree, cache)
    entries = sorted((cache / "results").rglob("*.json"))
    assert entries
    import json

    payloads = [b"", b"\x80\x81 not utf-8", b"[" * 100_000, b'{"format": 1}', b"null"]
    for index, entry in enumerate(entries):
        if index < len(payloads):
            entry.write_bytes(payloads[index])
        else:  # a well-formed entry whose outcomes hold a wrong type
            data = json.loads(entry.read_text())
            data["outcomes"] = [{"@": "ParseOutcome", "file": 5, "exposures": {"@t": []}, "errors": {"@t": []}}]
            entry.write_text(json.dumps(data))
    again, stats = _run_with_cache(tree, cache)
    assert stats.hits == 0
    assert again.exposures == clean.exposures and again.errors == clean.errors
    # a pickle-looking entry is never unpickled: it is not JSON, so a miss
    for entry in sorted((cache / "results").rglob("*.json")):
        entry.write_bytes(b"\x80\x04\x95cos\nsystem\n(S'touch pwned'\ntR.")
    third, stats = _run_with_cache(tree, cache)
    assert stats.hits == 0 and not (tree / "pwned").exists() and third.exposures == clean.exposures


def test_no_cache_writes_nothing_and_the_cache_stays_out_of_the_tree(tmp_path, run_cli, monkeypatch):
    (tmp_path / "compose.yaml").write_text('services:\n  s:\n    ports: ["5432:5432"]\n')
    (tmp_path / "main.tf").write_text('resource "aws_security_group_rule" "r" {\n  type = "ingress"\n'
                                      '  from_port = 22\n  to_port = 22\n  protocol = "tcp"\n'
                                      '  cidr_blocks = ["0.0.0.0/0"]\n  security_group_id = "sg-1"\n}\n')
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "user-cache"
    run_cli("check", "--no-cache", ".", env={"PORTLINT_CACHE_DIR": str(home)})
    assert not (home / "results").exists() and not (home / "runs").exists()
    run_cli("check", ".", env={"PORTLINT_CACHE_DIR": str(home)})
    assert list((home / "results").rglob("*.json")) and list((home / "runs").iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compose.yaml", "main.tf", "user-cache"]


# --------------------------------------------------------------------------- start-up


def test_version_imports_no_parser_and_no_parsing_library():
    result = _run("import sys\nfrom portlint.cli import main\ntry:\n    main(['--version'])\n"
                  "except SystemExit:\n    pass\n"
                  "print(sorted(m for m in sys.modules if m.startswith('portlint.parsers') or "
                  "m.split('.')[0] in ('yaml', 'lark', 'hcl2', 'jsonschema')))")
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


def test_compose_only_run_with_the_cache_imports_neither_hcl2_lark_nor_jsonschema(tmp_path):
    (tmp_path / "compose.yaml").write_text('services:\n  a:\n    ports: ["80:80"]\n')
    result = _run("import sys\nfrom portlint.cli import main\ntry:\n    main(['check', '.'])\n"
                  "except SystemExit:\n    pass\n"
                  "print([m for m in ('hcl2', 'lark', 'jsonschema') if m in sys.modules])",
                  env={"PORTLINT_CACHE_DIR": str(tmp_path / ".." / "c")}, cwd=tmp_path)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


def test_a_terraform_run_does_not_import_python_hcl2s_serialisers(tmp_path):
    (tmp_path / "main.tf").write_text('variable "a" { default = 1 }\n')
    result = _run("import sys\nfrom portlint.cli import main\ntry:\n    main(['check', '--no-cache', '.'])\n"
                  "except SystemExit:\n    pass\n"
                  "print('lark' in sys.modules, 'hcl2' in sys.modules)",
                  env={"PORTLINT_CACHE_DIR": str(tmp_path / ".." / "c")}, cwd=tmp_path)
    assert result.stdout.strip().splitlines()[-1] == "True False", result.stdout + result.stderr


@pytest.mark.parametrize("name, text, wanted", [
    ("compose.yaml", 'services:\n  a:\n    ports: ["80:80"]\n', ["portlint.parsers.compose"]),
    # the Terraform parser reads kubernetes_* resources with the Kubernetes parser's functions
    ("main.tf", 'variable "a" { default = 1 }\n', ["portlint.parsers.kubernetes", "portlint.parsers.terraform"]),
])
def test_a_one_format_run_imports_only_that_parser(tmp_path, name, text, wanted):
    """Built-in parsers are imported only for a file that passes their quick test (parsers/lazy.py)."""
    (tmp_path / name).write_text(text)
    result = _run("import sys\nfrom portlint.cli import main\ntry:\n    main(['check', '--no-cache', '.'])\n"
                  "except SystemExit:\n    pass\n"
                  "from portlint.plugins import BUILTINS\n"
                  "mods = {v.split(':')[0] for v in BUILTINS['portlint.parsers'].values()}\n"
                  "print(sorted(m for m in mods if m in sys.modules))",
                  env={"PORTLINT_CACHE_DIR": str(tmp_path / ".." / "c")}, cwd=tmp_path)
    assert result.stdout.strip().splitlines()[-1] == repr(wanted), result.stdout + result.stderr


def test_quick_tests_never_reject_a_file_the_real_parser_claims():
    """A lazy built-in's quick test is a necessary condition of its real ``claims``: over every file
    of the examples and test trees (and with the text withheld), never False where claims is True."""
    from portlint.parsers.ansible import SNIFF_MODULES
    from portlint.parsers.lazy import ANSIBLE_WORDS, QUICK
    from portlint.plugins import _resolve

    assert all(any(word in module for word in ANSIBLE_WORDS) for module in SNIFF_MODULES)
    real = {value: _resolve(value)() for value in QUICK}
    checked = 0
    for base in (REPO / "examples", REPO / "tests"):
        for path in base.rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                text = None
            for value, quick in QUICK.items():
                for offered in (text, None):
                    if real[value].claims(path, offered):
                        checked += 1
                        assert quick(path, offered), (value, path, offered is None)
    assert checked >= 20  # the test trees hold examples of every format


# --------------------------------------------------------------------------- the run cache


def _runs(cache: Path) -> list[Path]:
    return sorted((cache / "runs").glob("*.json"))


def _replays(run_cli, cache: Path, *args):
    """(output, exit code, replayed?) of a check through the CLI with the run cache in ``cache``."""
    from portlint import cache as cache_module

    before = {p: p.stat().st_mtime_ns for p in _runs(cache)}
    cache_module.RunRecord.current = None
    result = run_cli("check", "--format", "json", "--fail-on", "never", "--cache-dir", str(cache), *args,
                     env={"PORTLINT_CACHE_DIR": str(cache.parent / "user")})
    after = {p: p.stat().st_mtime_ns for p in _runs(cache)}
    replayed = bool(after) and after == before and cache_module.RunRecord.current is None
    return result.output, result.exit_code, replayed


def _compose_tree(root: Path) -> None:
    for i in range(3):
        (root / f"app{i}").mkdir(parents=True)
        (root / f"app{i}" / "compose.yaml").write_text(f'services:\n  s:\n    ports: ["{6379 + i}:6379"]\n')
    (root / "docs").mkdir()
    (root / "docs" / "notes.md").write_text("nothing to check\n")


def test_an_unchanged_rerun_is_replayed_and_identical(tmp_path, run_cli, monkeypatch):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    _compose_tree(tree)
    monkeypatch.chdir(tree)
    uncached = run_cli("check", "--format", "json", "--fail-on", "never", "--no-cache", ".").output
    first, code, replayed = _replays(run_cli, cache, ".")
    assert not replayed and len(_runs(cache)) == 1
    again, code2, replayed = _replays(run_cli, cache, ".")
    assert replayed and again == first == uncached and code == code2 == 0
    # another output format or option is another entry
    _, _, replayed = _replays(run_cli, cache, "--ignore", "PL101", ".")
    assert not replayed and len(_runs(cache)) == 2


def test_a_same_size_same_mtime_edit_is_seen(tmp_path, run_cli, monkeypatch):
    """The stat key holds the inode change time, which no write can keep: an edit that restores the
    size and the modification time is still re-checked."""
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    _compose_tree(tree)
    monkeypatch.chdir(tree)
    first, _, _ = _replays(run_cli, cache, ".")
    target = tree / "app1" / "compose.yaml"
    info = target.stat()
    target.write_text(target.read_text().replace("6380:6379", "6390:6379"))  # one byte, same size
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert target.stat().st_size == info.st_size and target.stat().st_mtime_ns == info.st_mtime_ns
    changed, _, replayed = _replays(run_cli, cache, ".")
    assert not replayed and "6390" in changed and "6390" not in first


def test_a_touched_file_with_the_same_content_is_still_replayed(tmp_path, run_cli, monkeypatch):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    _compose_tree(tree)
    monkeypatch.chdir(tree)
    first, _, _ = _replays(run_cli, cache, ".")
    target = tree / "app0" / "compose.yaml"
    target.write_text(target.read_text())  # stat moves, content does not
    os.utime(target, ns=(1, 1))
    again, _, replayed = _replays(run_cli, cache, ".")
    assert replayed and again == first


@pytest.mark.parametrize("change", ["new compose file", "new .env", "yaml becomes manifest", "config",
                                    "environment"])
def test_what_a_run_depends_on_makes_it_run_again(change, tmp_path, run_cli, monkeypatch):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    _compose_tree(tree)
    (tree / "app0" / "compose.yaml").write_text('services:\n  s:\n    ports: ["${PORT:-6379}:6379"]\n')
    (tree / "docs" / "values.yaml").write_text("replicas: 2\n")
    monkeypatch.chdir(tree)
    monkeypatch.delenv("PORT", raising=False)
    first, _, _ = _replays(run_cli, cache, ".")
    _, _, replayed = _replays(run_cli, cache, ".")
    assert replayed
    if change == "new compose file":
        (tree / "docs" / "compose.yaml").write_text('services:\n  m:\n    ports: ["27017:27017"]\n')
        expected = "27017"
    elif change == "new .env":
        (tree / "app0" / ".env").write_text("PORT=5432\n")
        expected = "5432"
    elif change == "yaml becomes manifest":
        (tree / "docs" / "values.yaml").write_text(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: m\nspec:\n  type: LoadBalancer\n"
            "  ports:\n    - port: 11211\n")
        expected = "11211"
    elif change == "config":
        (tree / ".portlint.yaml").write_text("ignore: [PL101]\n")
        expected = None
    else:
        monkeypatch.setenv("PORT", "9200")
        expected = "9200"
    changed, _, replayed = _replays(run_cli, cache, ".")
    assert not replayed and changed != first
    if expected:
        assert expected in changed and expected not in first


def test_a_forged_or_damaged_run_entry_is_never_replayed(tmp_path, run_cli, monkeypatch):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    _compose_tree(tree)
    monkeypatch.chdir(tree)
    first, _, _ = _replays(run_cli, cache, ".")
    (entry,) = _runs(cache)
    raw = entry.read_bytes()
    forged = raw.replace(b'"exit":0', b'"exit":0 ').replace(b"6380", b"9999")
    entry.write_bytes(forged)  # content changed, signature not: refused
    again, _, replayed = _replays(run_cli, cache, ".")
    assert not replayed and again == first and "9999" not in again
    # a checked-in cache folder cannot carry a signed entry: the key lives in the user cache folder
    entry.write_bytes(raw)
    other_user = tmp_path / "elsewhere"
    result = run_cli("check", "--format", "json", "--fail-on", "never", "--cache-dir", str(cache), ".",
                     env={"PORTLINT_CACHE_DIR": str(other_user)})
    assert result.output == first
    assert entry.read_bytes() != raw  # not replayed: run again and written with that user's key


def test_a_run_with_an_expiry_is_replayed_only_on_the_same_day(tmp_path, monkeypatch):
    from portlint.cache import RunCache, RunRecord
    from portlint.engine import Options

    tree = tmp_path / "tree"
    _compose_tree(tree)
    (tree / "app0" / "compose.yaml").write_text(
        'services:\n  s:\n    ports: ["6379:6379"]  # portlint: disable=PL101 -- until 2099-01-01: migrating\n')
    monkeypatch.setenv("PORTLINT_CACHE_DIR", str(tmp_path / "user"))
    options = Options(environ={}, cwd=tree, project_root=tree, cache=True, cache_dir=tmp_path / "c")
    options.texts["app0/compose.yaml"] = (tree / "app0" / "compose.yaml").read_text()
    run_cache = RunCache.open(options, [tree], {"fmt": "json"})
    run_cache.store(RunRecord(), options, "out", [], [], 0, False, "2030-01-01")
    assert run_cache.lookup({}, "2030-01-01")["stdout"] == "out"
    assert run_cache.lookup({}, "2030-01-02") is None
    options.texts["app0/compose.yaml"] = (tree / "app1" / "compose.yaml").read_text()  # no expiry anywhere
    (tree / "app0" / "compose.yaml").write_text(options.texts["app0/compose.yaml"])
    run_cache.store(RunRecord(), options, "out", [], [], 0, False, "2030-01-01")
    assert run_cache.lookup({}, "2030-01-02")["stdout"] == "out"


@pytest.mark.parametrize("tree", _tree_dirs() + [REPO / "tests"], ids=lambda p: p.name)
def test_replayed_runs_are_identical_on_every_example_and_test_tree(tree, tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tree)
    cache = tmp_path / "cache"
    for fmt in ("json", "text", "sarif"):
        args = ["check", "--format", fmt, "--fail-on", "medium", "--no-color", "."]
        uncached = run_cli(*args[:-1], "--no-cache", ".")
        cold = run_cli(*args[:-1], "--cache-dir", str(cache), ".", env={"PORTLINT_CACHE_DIR": str(tmp_path / "u")})
        warm = run_cli(*args[:-1], "--cache-dir", str(cache), ".", env={"PORTLINT_CACHE_DIR": str(tmp_path / "u")})
        assert uncached.output == cold.output == warm.output
        assert uncached.exit_code == cold.exit_code == warm.exit_code


@pytest.mark.parametrize("with_env_file", [False, True], ids=["no .env", ".env"])
def test_a_variable_no_compose_file_uses_does_not_stop_a_replay(with_env_file, tmp_path, run_cli, monkeypatch):
    """CI sets new variables on every run (GITHUB_RUN_ID...): only the names a Compose file looks up
    may decide whether a run is replayed."""
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    _compose_tree(tree)
    (tree / "app0" / "compose.yaml").write_text('services:\n  s:\n    ports: ["${PORT:-6379}:6379"]\n')
    if with_env_file:
        (tree / "app0" / ".env").write_text("OTHER=1\nPORT=${PORT:-6380}\n")
    monkeypatch.chdir(tree)
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.setenv("PORTLINT_TEST_RUN_ID", "1")
    first, _, _ = _replays(run_cli, cache, ".")
    monkeypatch.setenv("PORTLINT_TEST_RUN_ID", "2")
    again, _, replayed = _replays(run_cli, cache, ".")
    assert replayed and again == first
    monkeypatch.setenv("PORT", "9200")
    changed, _, replayed = _replays(run_cli, cache, ".")
    assert not replayed and "9200" in changed
