"""The real pre-commit, in a temporary git repository, running this checkout's hook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

RISKY = 'services:\n  db:\n    image: postgres:16\n    ports:\n      - "5432:5432"\n'
FIXED = 'services:\n  db:\n    image: postgres:16\n    ports:\n      - "127.0.0.1:5432:5432"\n'


def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"})


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A copy of this checkout committed to git, so pre-commit can install it as a hook repository."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    source = tmp_path_factory.mktemp("hook") / "portlint"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", ".pytest_cache",
                                                                "build", "dist", ".venv"))
    _git(source, "init", "-q")
    _git(source, "add", "-A")
    _git(source, "commit", "-q", "-m", "snapshot")
    return source


def _pre_commit(cwd, home, *args):
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e.invalid"}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True, text=True,
                          env=env)


def test_hook_fails_on_a_risky_compose_file_and_passes_once_fixed(hook_repo, tmp_path):
    pytest.importorskip("pre_commit", reason="pre-commit is part of the test extras: pip install -e '.[test]'")
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True).stdout.strip()
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: portlint\n")
    (project / "docker-compose.yml").write_text(RISKY)
    (project / "README.md").write_text("# demo\n")
    _git(project, "add", "-A")
    home = tmp_path / "pre-commit-home"

    failed = _pre_commit(project, home, "run", "--all-files")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "docker-compose.yml:5:9: PL101 [high] PostgreSQL (5432/tcp)" in failed.stdout

    (project / "docker-compose.yml").write_text(FIXED)
    _git(project, "add", "-A")
    passed = _pre_commit(project, home, "run", "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "0 findings" in passed.stdout or "Passed" in passed.stdout


def test_readme_local_hook_snippet_works(tmp_path):
    """The README's `repo: local` snippet, with portlint installed in the environment."""
    import re

    pytest.importorskip("pre_commit", reason="pre-commit is part of the test extras: pip install -e '.[test]'")
    if shutil.which("portlint") is None:
        pytest.skip("the portlint console script is not installed (pip install -e '.[test]')")
    readme = (REPO / "README.md").read_text()
    snippet = re.search(r"```yaml\n(# \.pre-commit-config\.yaml\nrepos:\n  - repo: local\n.*?)```", readme, re.S)
    assert snippet, "README lost its local pre-commit snippet"
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(snippet.group(1))
    (project / "compose.yaml").write_text(RISKY)
    _git(project, "add", "-A")
    result = _pre_commit(project, tmp_path / "home", "run", "--all-files")
    assert result.returncode == 1 and "compose.yaml:5:9: PL101" in result.stdout, result.stdout + result.stderr

    # the README's headline example: only a `.env` is staged, and it opens the Compose file beside it
    # (a `types_or` filter skipped it: identify tags `.env` with nothing)
    (project / "compose.yaml").write_text('services:\n  db:\n    image: postgres:16\n    ports:\n'
                                          '      - "${DB_BIND:-127.0.0.1}:5432:5432"\n')
    (project / ".env").write_text("DB_BIND=127.0.0.1\n")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "--no-verify", "-m", "safe")
    (project / ".env").write_text("DB_BIND=0.0.0.0\n")
    _git(project, "add", ".env")
    staged = _pre_commit(project, tmp_path / "home", "run")
    assert staged.returncode == 1, staged.stdout + staged.stderr
    assert "compose.yaml:5:9: PL101" in staged.stdout, staged.stdout + staged.stderr


DEPENDENT_CASES = {
    # name: (committed files, staged change, expected line in the output)
    "dotenv_rechecks_compose": (
        {"compose.yaml": 'services:\n  db:\n    image: postgres:16\n    ports:\n'
                         '      - "${DB_BIND:-127.0.0.1}:5432:5432"\n', ".env": "DB_BIND=127.0.0.1\n"},
        {".env": "DB_BIND=0.0.0.0\n"},
        "compose.yaml:5:9: PL101"),
    "named_env_file": (
        {"compose.yaml": 'services:\n  db:\n    image: postgres:16\n    env_file: prod.env\n    ports:\n'
                         '      - "${DB_BIND:-127.0.0.1}:5432:5432"\n', ".env": "DB_BIND=127.0.0.1\n"},
        {".env": "DB_BIND=0.0.0.0\n", "prod.env": "X=1\n"},
        "compose.yaml:6:9: PL101"),
    "override_rechecks_base": (
        {"compose.yaml": 'services:\n  db:\n    image: postgres:16\n',
         "compose.override.yaml": "services:\n  db:\n    environment: {A: b}\n"},
        {"compose.override.yaml": 'services:\n  db:\n    ports:\n      - "5432:5432"\n'},
        "compose.override.yaml:4:9: PL101"),
    "tfvars_rechecks_root": (
        {"main.tf": 'variable "cidr" {}\nresource "aws_security_group_rule" "r" {\n  type = "ingress"\n'
                    '  from_port = 6379\n  to_port = 6379\n  protocol = "tcp"\n  cidr_blocks = [var.cidr]\n'
                    '  security_group_id = "sg-1"\n}\n',
         "terraform.tfvars": 'cidr = "10.0.0.0/24"\n'},
        {"terraform.tfvars": 'cidr = "0.0.0.0/0"\n'},
        "main.tf:2:1: PL101"),
    "module_rechecks_callers": (
        {"modules/sg/main.tf": 'variable "port" {}\nresource "aws_security_group_rule" "r" {\n  type = "ingress"\n'
                               '  from_port = var.port\n  to_port = var.port\n  protocol = "tcp"\n'
                               '  cidr_blocks = ["10.0.0.0/8"]\n  security_group_id = "sg-1"\n}\n',
         "envs/prod/main.tf": 'module "sg" {\n  source = "../../modules/sg"\n  port = 6379\n}\n'},
        {"modules/sg/main.tf": 'variable "port" {}\nresource "aws_security_group_rule" "r" {\n  type = "ingress"\n'
                               '  from_port = var.port\n  to_port = var.port\n  protocol = "tcp"\n'
                               '  cidr_blocks = ["0.0.0.0/0"]\n  security_group_id = "sg-1"\n}\n'},
        "modules/sg/main.tf:2:1: PL101 [critical] Redis"),
}


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.mark.parametrize("case", list(DEPENDENT_CASES))
def test_hook_rechecks_what_a_staged_file_changes(hook_repo, shared_home, tmp_path, case):
    """Only the dependency is staged; the real pre-commit must run the hook and fail on the file it changes."""
    pytest.importorskip("pre_commit", reason="pre-commit is part of the test extras: pip install -e '.[test]'")
    committed, staged, expected = DEPENDENT_CASES[case]
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True).stdout.strip()
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: portlint\n")
    for name, text in committed.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "clean")
    clean = _pre_commit(project, shared_home, "run", "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    for name, text in staged.items():
        (project / name).write_text(text)
        _git(project, "add", name)
    failed = _pre_commit(project, shared_home, "run")
    assert "Skipped" not in failed.stdout, failed.stdout
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert expected in failed.stdout, failed.stdout
