"""Issue 14, round two: scope_of finds a file's folder on text; it must name the folder
``Path.parent`` names, so every file gets the configuration it got before."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from portlint import cli
from portlint.engine import scope_of

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX paths")


def test_scope_of_agrees_with_the_folder_path_parent_names(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for folder, config in (("a", "ignore: [PL101]\n"), ("a/b", "ignore: [PL102]\n"), ("c", None)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        if config:
            (root / folder / ".portlint.yaml").write_text(config)
    (root / "c" / "to-b").symlink_to(root / "a" / "b")
    monkeypatch.chdir(root)
    options, _ = cli._options((), (), paths=["."])
    names = ["x.yml", "a/x.yml", "a/b/x.yml", "c/x.yml", "c/to-b/x.yml", "a/../a/b/x.yml", "c/to-b/../x.yml",
             "./a/x.yml", "a//b/x.yml", "a/./b/x.yml", "../repo/a/x.yml"]
    paths = [Path(n) for n in names] + [root / n for n in names] + [Path(f"{root}/{n}") for n in names]
    tree = options.scopes
    for path in paths:
        expected = tree.for_folder((path if path.is_absolute() else options.cwd / path).parent)
        assert scope_of(options, path) is expected, path
    ignores = {n: sorted(scope_of(options, Path(n)).ignore) if scope_of(options, Path(n)) else None
               for n in ("x.yml", "a/x.yml", "a/b/x.yml", "c/to-b/x.yml", "c/x.yml")}
    assert ignores == {"x.yml": None, "a/x.yml": ["PL101"], "a/b/x.yml": ["PL102"],
                       "c/to-b/x.yml": ["PL102"], "c/x.yml": None}
