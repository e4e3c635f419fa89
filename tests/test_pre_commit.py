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
