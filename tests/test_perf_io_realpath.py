"""Issue 14: real paths resolved from a folder's remembered real path agree with os.path.realpath."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from portlint import inputs
from portlint.engine import Options, run

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symbolic links and POSIX paths")


@pytest.fixture
def remembering():
    inputs.start_run()
    yield
    inputs.end_run()


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "plain" / "deep").mkdir(parents=True)
    (root / "plain" / "a.yml").write_text("a: 1\n")
    (root / "plain" / "deep" / "b.yml").write_text("b: 1\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.yml").write_text("s: 1\n")
    (root / "linked").symlink_to(root / "plain")                       # a folder that is a link
    (root / "up").symlink_to("plain/deep/..")                           # a relative link through '..'
    (root / "out").symlink_to(tmp_path / "outside")                     # a folder link leaving the root
    (root / "plain" / "file-link.yml").symlink_to("a.yml")              # a file that is a link
    (root / "loop1").symlink_to("loop2")                                # a link loop
    (root / "loop2").symlink_to("loop1")
    (root / "self").symlink_to("self")
    (root / "dangling").symlink_to("nowhere/at/all")
    (root / "plain" / "notdir.yml").write_text("x\n")
    return root


def _cases(root: Path) -> list[str]:
    names = [
        "plain", "plain/a.yml", "plain/deep/b.yml", "plain/missing.yml", "missing/also/missing.yml",
        "linked", "linked/a.yml", "linked/deep/b.yml", "linked/deep/missing.yml", "up/a.yml", "up/deep/b.yml",
        "out/secret.yml", "out/missing.yml", "plain/file-link.yml", "linked/file-link.yml",
        "loop1", "loop1/a.yml", "self", "self/x", "dangling", "dangling/x.yml",
        "plain/notdir.yml/x", "plain/../plain/a.yml", "plain/./a.yml", "linked/../plain/a.yml",
        "plain/deep/../a.yml", "plain//a.yml", "plain/a.yml/", "plain/",
    ]
    return [f"{root}/{name}" for name in names] + ["/", "//", str(root), "relative/a.yml", "a.yml", ""]


def test_remembered_real_paths_agree_with_realpath(tmp_path, remembering):
    root = _tree(tmp_path)
    for _ in range(2):  # the second round is answered from remembered folders
        for case in _cases(root):
            assert inputs.real_path(case) == os.path.realpath(case), case
            assert inputs.real_path(Path(case)) == os.path.realpath(Path(case)), case


def test_relative_paths_agree_with_realpath(tmp_path, remembering, monkeypatch):
    root = _tree(tmp_path)
    monkeypatch.chdir(root / "linked")  # the current folder reached through a link
    relative = [case[len(str(root)) + 1:] for case in _cases(root) if case.startswith(f"{root}/")]
    for case in relative + ["a.yml", "deep/b.yml", "../plain/a.yml", "./a.yml", "deep/../a.yml", ".", ""]:
        for _ in range(2):
            assert inputs.real_path(case) == os.path.realpath(case), case
    remembered = [_outcome(case, root) for case in relative + ["a.yml", "file-link.yml", "deep/b.yml"]]
    inputs.end_run()
    assert remembered == [_outcome(case, root) for case in relative + ["a.yml", "file-link.yml", "deep/b.yml"]]
    assert ("text", "a: 1\n") in remembered


def _outcome(case, root, max_bytes=None):
    try:
        return ("text", inputs.read_input(Path(case), root, max_bytes=max_bytes))
    except inputs.ReadRefused as exc:
        return ("refused", exc.reason, exc.line)


def test_the_lstat_handed_on_is_the_files_own(tmp_path, remembering):
    root = _tree(tmp_path)
    for case in _cases(root):
        real, info = inputs._resolve(case)
        if info is not None:
            assert (info.st_dev, info.st_ino) == (os.lstat(case).st_dev, os.lstat(case).st_ino), case
            assert not os.path.islink(case)


def test_read_input_refuses_the_same_way_while_remembering(tmp_path):
    root = _tree(tmp_path)
    fifo = root / "plain" / "pipe.yml"
    os.mkfifo(fifo)
    big = root / "plain" / "big.yml"
    big.write_text("x" * 100)

    def outcome(case):
        return _outcome(case, root, max_bytes=50)

    cases = _cases(root) + [str(fifo), str(big)]
    fresh = [outcome(case) for case in cases]
    inputs.start_run()
    try:
        for _ in range(2):
            assert [outcome(case) for case in cases] == fresh
    finally:
        inputs.end_run()
    assert ("refused", "not a regular file (a FIFO, device or socket is never read)", 1) in fresh
    assert any(o[0] == "refused" and "outside the project root" in o[1] for o in fresh)


def test_read_input_stat_hands_on_the_file_read(tmp_path, remembering):
    root = _tree(tmp_path)
    text, info = inputs.read_input_stat(root / "linked" / "file-link.yml", root)
    assert text == "a: 1\n"
    target = os.stat(root / "plain" / "a.yml")
    assert (info.st_dev, info.st_ino) == (target.st_dev, target.st_ino)
    assert inputs.read_input_stat(root / "plain" / "gone.yml", root) == (None, None)


def test_outside_a_run_nothing_is_remembered(tmp_path):
    root = _tree(tmp_path)
    inputs.end_run()
    assert inputs.real_path(root / "swap" / "a.yml") == str(root / "swap" / "a.yml")
    (root / "swap").symlink_to(tmp_path / "outside")
    assert inputs.real_path(root / "swap" / "a.yml") == str(tmp_path / "outside" / "a.yml")


def test_a_remembered_folder_is_forgotten_when_a_run_starts(tmp_path, remembering):
    root = _tree(tmp_path)
    (root / "swap").mkdir()
    assert inputs.real_path(root / "swap" / "a.yml") == str(root / "swap" / "a.yml")
    (root / "swap").rmdir()
    (root / "swap").symlink_to(tmp_path / "outside")
    inputs.start_run()
    assert inputs.real_path(root / "swap" / "a.yml") == str(tmp_path / "outside" / "a.yml")


COMPOSE = "services:\n  web:\n    image: nginx\n    ports:\n      - \"8080:80\"\n"


def test_a_fresh_run_sees_a_folder_swapped_for_a_link(tmp_path):
    """A run remembers folders' real paths; the next run must not: a folder replaced by a link out
    of the project between two runs is refused in the second."""
    root = tmp_path / "project"
    (root / "svc").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "svc" / "docker-compose.yml").write_text(COMPOSE)
    (root / "svc" / ".env").write_text("A=1\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "docker-compose.yml").write_text(COMPOSE)
    (outside / ".env").write_text("A=1\n")

    def check():
        return run([root], Options(cwd=root, project_root=root, jobs=1), with_findings=False)

    first = check()
    assert not first.errors and first.files_scanned == 1
    (root / "svc" / "docker-compose.yml").unlink()
    (root / "svc" / ".env").unlink()
    (root / "svc").rmdir()
    (root / "svc").symlink_to(outside)
    # discovery refuses the link itself; a file named through it is refused when read
    second = check()
    assert any("outside the project root" in e.message for e in second.errors), second.errors
    third = run([root / "svc" / "docker-compose.yml"], Options(cwd=root, project_root=root, jobs=1),
                with_findings=False)
    assert third.errors and all("outside the project root" in e.message or "symbolic link" in e.message
                                for e in third.errors), third.errors
    assert inputs._FOLDERS is None  # a run forgets what it learnt when it ends
