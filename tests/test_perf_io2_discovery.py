"""Issue 14, round two: discovery learns virtual environments and configuration files from the
listings it holds, and tells inputs the real paths of the folders it walks; each shortcut must
give what the lookups it replaces give."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from portlint import inputs, limits
from portlint.config import ConfigTree, config_in
from portlint.discovery import discover

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symbolic links and POSIX paths")

COMPOSE = "services:\n  web:\n    image: nginx\n"


def _files(found, base: Path) -> list[str]:
    return sorted(os.path.relpath(c.path, base) for c in found if c.problem is None)


def _problems(found, base: Path) -> list[tuple[str, str]]:
    return [(os.path.relpath(c.path, base), c.problem) for c in found if c.problem is not None]


def _venv(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (folder / "lib").mkdir()
    (folder / "lib" / "docker-compose.yml").write_text(COMPOSE)
    return folder


def test_virtual_environments_are_skipped_and_only_they(tmp_path):
    _venv(tmp_path / "a" / "env")
    (tmp_path / "b" / "cfg-link").mkdir(parents=True)  # pyvenv.cfg a link: not a virtual environment
    (tmp_path / "b" / "cfg-link" / "pyvenv.cfg").symlink_to(tmp_path / "a" / "env" / "pyvenv.cfg")
    (tmp_path / "b" / "cfg-link" / "docker-compose.yml").write_text(COMPOSE)
    (tmp_path / "c" / "cfg-dir" / "pyvenv.cfg").mkdir(parents=True)  # a folder: not one either
    (tmp_path / "c" / "cfg-dir" / "docker-compose.yml").write_text(COMPOSE)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "to-env").symlink_to(tmp_path / "a" / "env")  # a link to one: skipped too
    (tmp_path / "d" / "to-lib").symlink_to(tmp_path / "a" / "env" / "lib")  # inside one: walked
    found = list(discover([tmp_path], root=tmp_path))
    assert _files(found, tmp_path) == [
        "b/cfg-link/docker-compose.yml", "b/cfg-link/pyvenv.cfg", "c/cfg-dir/docker-compose.yml",
        "d/to-lib/docker-compose.yml"]
    assert _problems(found, tmp_path) == []


def test_a_virtual_environment_named_after_its_parent_is_still_walked(tmp_path):
    _venv(tmp_path / "env")
    found = list(discover([tmp_path, tmp_path / "env"], root=tmp_path))
    assert _files(found, tmp_path) == ["env/lib/docker-compose.yml", "env/pyvenv.cfg"]


def test_a_virtual_environment_too_deep_or_in_a_loop_is_skipped_silently(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "DEPTH", 2)
    _venv(tmp_path / "one" / "two" / "env")
    (tmp_path / "one" / "two" / "plain").mkdir()
    found = list(discover([tmp_path], root=tmp_path))
    assert [p for p, _ in _problems(found, tmp_path)] == ["one/two/plain"]
    env = _venv(tmp_path / "named")
    (env / "back").symlink_to(env)  # a link back to the virtual environment named on the command line
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "back").symlink_to(tmp_path / "other")
    found = list(discover([env, tmp_path / "other"], root=tmp_path))
    assert _files(found, tmp_path) == ["named/lib/docker-compose.yml", "named/pyvenv.cfg"]
    assert [(p, "loop" in why) for p, why in _problems(found, tmp_path)] == [("other/back", True)]


@pytest.mark.parametrize("names", [
    [], ["docker-compose.yml"], [".portlint.yaml"], [".portlint.yml", "a"], ["pyproject.toml"],
    [".PORTLINT.yaml"], ["PyProject.toml", ".portlint.yml"], [".portlint.yaml.bak", "portlint.yaml"],
])
def test_config_in_from_a_listing_agrees_with_looking(tmp_path, names):
    for name in names:
        (tmp_path / name).write_text("[tool.portlint]\n" if "toml" in name.lower() else "ignore: []\n")
    listed = [entry.name for entry in os.scandir(tmp_path)]
    assert config_in(tmp_path, listed) == config_in(tmp_path)
    assert config_in(str(tmp_path), listed) == config_in(tmp_path)


def test_config_tree_given_listings_finds_the_same_configurations(tmp_path):
    for folder in ("a", "a/b", "c", "c/d"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "a" / ".portlint.yaml").write_text("ignore: []\n")
    (tmp_path / "c" / "d" / "pyproject.toml").write_text("[tool.portlint]\n")
    (tmp_path / "c" / "pyproject.toml").write_text("[tool.other]\n")

    def tree():
        return ConfigTree(tmp_path, None, lambda path: path, lambda config, parent: (config, parent))

    plain, listed = tree(), tree()
    for folder in ("a", "a/b", "c", "c/d", "."):
        where = tmp_path / folder
        names = [entry.name for entry in os.scandir(where)]
        assert listed.for_folder(where, names) == plain.for_folder(where), folder
    assert listed.used == plain.used == [tmp_path / "a" / ".portlint.yaml", tmp_path / "c" / "d" / "pyproject.toml"]


def test_folders_discovery_remembers_resolve_as_realpath_does(tmp_path, monkeypatch):
    root = tmp_path / "root"
    (root / "real" / "sub").mkdir(parents=True)
    (root / "real" / "sub" / "docker-compose.yml").write_text(COMPOSE)
    (root / "real" / "docker-compose.yml").write_text(COMPOSE)
    (root / "linked").symlink_to(root / "real")
    (root / "deep" / "inner").mkdir(parents=True)
    (root / "deep" / "up").symlink_to(root / "real" / "sub")  # up/.. is real, not deep
    (root / "deep" / "docker-compose.yml").write_text(COMPOSE)
    monkeypatch.chdir(root)
    tops = [Path("linked"), Path("deep/up/.."), Path("./real/sub/.."), root / "deep", Path("deep/inner/../up")]
    for top in tops:
        inputs.start_run()
        try:
            found = list(discover([top], root=root))
            assert _files(found, root), top
            for candidate in found:
                for path in (candidate.path, candidate.path.parent, candidate.path.parent.parent):
                    assert inputs.real_path(path) == os.path.realpath(path), (top, path)
                assert inputs.read_input(candidate.path, root) == COMPOSE
        finally:
            inputs.end_run()


def test_remember_folder_notes_only_plain_paths_during_a_run(tmp_path):
    (tmp_path / "a").mkdir()
    inputs.remember_folder(tmp_path / "a", "/elsewhere")  # outside a run: nothing
    inputs.start_run()
    try:
        inputs.remember_folder(f"{tmp_path}/a/../a", "/elsewhere")  # not plain: nothing
        inputs.remember_folder(f"{tmp_path}//a", "/elsewhere")
        assert inputs.real_path(tmp_path / "a") == os.path.realpath(tmp_path / "a")
        inputs.remember_folder(tmp_path / "a", "/elsewhere")
        assert inputs.real_path(tmp_path / "a") == "/elsewhere"  # what discovery says is believed
    finally:
        inputs.end_run()
    assert inputs.real_path(tmp_path / "a") == os.path.realpath(tmp_path / "a")


def test_a_pyvenv_cfg_in_another_case_is_asked_of_the_disk(tmp_path, monkeypatch):
    """A case-insensitive disk (macOS, Windows) finds PYVENV.CFG when asked for pyvenv.cfg: the
    listing must then defer to the disk, as the check by name always did."""
    from portlint import discovery

    folder = tmp_path / "env"
    folder.mkdir()
    (folder / "PYVENV.CFG").write_text("home = /usr/bin\n")
    asked = []
    monkeypatch.setattr(discovery, "_is_virtualenv", lambda path: asked.append(path) or True)
    with os.scandir(folder) as it:
        assert discovery._venv_listing(str(folder), list(it))
    assert asked == [str(folder)]
    monkeypatch.undo()
    with os.scandir(folder) as it:  # this disk is case-sensitive: the disk says no, as before
        assert discovery._venv_listing(str(folder), list(it)) == discovery._is_virtualenv(str(folder))
