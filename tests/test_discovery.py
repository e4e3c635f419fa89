from __future__ import annotations

from pathlib import Path

import pytest

from portlint.discovery import discover
from portlint.parsers.compose import ComposeParser


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("services: {}\n")


def test_walk_skips_tool_folders_and_virtualenvs(tmp_path):
    _tree(tmp_path, ["a/compose.yaml", ".git/compose.yaml", "node_modules/x/compose.yaml",
                     ".terraform/modules/compose.yaml", "env/pyvenv.cfg", "env/compose.yaml",
                     "b/docker-compose.prod.yml", "vendor/compose.yaml"])
    found = [c.path.relative_to(tmp_path).as_posix() for c in discover([tmp_path], exclude=["vendor"])]
    assert found == ["a/compose.yaml", "b/docker-compose.prod.yml"]


def test_exclude_globs(tmp_path):
    _tree(tmp_path, ["keep/compose.yaml", "test/fixtures/compose.yaml", "x/compose.override.yaml"])
    found = [c.path.relative_to(tmp_path).as_posix()
             for c in discover([tmp_path], exclude=["test/*", "*.override.yaml"])]
    assert found == ["keep/compose.yaml"]


def test_files_are_taken_as_given(tmp_path):
    _tree(tmp_path, ["one.yml"])
    (candidate,) = discover([tmp_path / "one.yml"])
    assert candidate.explicit


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(discover([tmp_path / "nope"]))


@pytest.mark.parametrize("name, text, claimed", [
    ("compose.yaml", None, True),
    ("compose.yml", None, True),
    ("compose.prod.yaml", None, True),
    ("docker-compose.yml", None, True),
    ("docker-compose.override.yaml", None, True),
    ("stack.yml", "version: '3'\nservices:\n  web: {}\n", True),
    ("deploy.yaml", "apiVersion: v1\nkind: Service\n", False),
    ("values.yaml", "image:\n  services: 3\n", False),
    ("notes.txt", "services:\n", False),
    ("stack.yml", None, False),
])
def test_compose_claims(name, text, claimed):
    assert ComposeParser().claims(Path(name), text) is claimed
