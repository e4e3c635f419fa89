"""Issue 14, round two: read_input's text-only path checks and direct reads agree with the
general forms they replace (os.path.normpath, a buffered read, ``decode("utf-8-sig")``)."""

from __future__ import annotations

import itertools
import os
import stat
from pathlib import Path

import pytest

from portlint import inputs

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX paths")


def _normal(text: str) -> bool:
    return text[:1] == "/" and text[1:2] != "/" and len(text) > 1 and os.path.normpath(text) == text


def test_plain_agrees_with_normpath():
    count = 0
    for size in range(1, 9):
        for parts in itertools.product(("/", ".", "a", "b."), repeat=size):
            text = "".join(parts)
            assert inputs._plain(text) == _normal(text), text
            count += 1
    assert count > 50_000
    for text in ("/a/.b", "/a/..b", "/a/b..", "/...", "/a/...", "/a./b"):
        assert inputs._plain(text) and _normal(text), text


def _reference(path: Path, budget: int):
    """How read_input read an opened regular file before (a buffered read, utf-8-sig)."""
    with open(path, "rb") as fh:
        data = fh.read(budget + 1)
    if len(data) > budget:
        return ("refused", "over")
    if b"\x00" in data[:8192]:
        return ("refused", "binary, not text", 1)
    try:
        return ("text", data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return ("refused", "not UTF-8 text", data.count(b"\n", 0, exc.start) + 1)


def _read(path: Path, budget: int):
    try:
        return ("text", inputs.read_input(path, path.parent, max_bytes=budget))
    except inputs.ReadRefused as exc:
        if "over portlint's limit" in exc.reason:
            return ("refused", "over")
        return ("refused", exc.reason, exc.line)


CONTENTS = [
    b"", b"a", b"a: 1\n", b"\xef\xbb\xbf", b"\xef\xbb\xbfa: 1\n", b"\xef\xbb\xbf\xef\xbb\xbfa\n",
    b"\xef\xbb", b"a\n\xff", b"\xef\xbb\xbfa\n\xff", b"\xef\xbb\xbf\n\n\xffb", b"x\ny\nz\n\xc3",
    b"\x00", b"a\n" * 5000 + b"\x00", b"a" * 8191 + b"\x00", b"a" * 8192 + b"\x00",
    "caf\u00e9 \U0001f600\n".encode(), b"\xed\xa0\x80\n", b"y" * 99, b"y" * 100, b"y" * 101,
    b"z" * 70_000, b"\xef\xbb\xbf" + b"y" * 97, b"\xef\xbb\xbf" + b"y" * 98,
]


@pytest.mark.parametrize("remember", [False, True])
def test_reads_agree_with_a_buffered_read(tmp_path, remember):
    if remember:
        inputs.start_run()
    try:
        for index, content in enumerate(CONTENTS):
            path = tmp_path / f"f{index}.yml"
            path.write_bytes(content)
            for budget in (100, 200_000):
                assert _read(path, budget) == _reference(path, budget), (content[:20], budget)
    finally:
        inputs.end_run()


def test_a_file_that_grew_after_it_was_looked_at_is_read_to_its_end(tmp_path, monkeypatch):
    path = tmp_path / "grows.yml"
    path.write_text("a: 1\n")
    real_fstat = os.fstat

    def fstat(fd):  # the file grows between the lstat and the read
        info = real_fstat(fd)
        if stat.S_ISREG(info.st_mode):
            with open(path, "a") as fh:
                fh.write("b: 2\n" * 30_000)
        return info

    monkeypatch.setattr(inputs.os, "fstat", fstat)
    assert inputs.read_input(path, tmp_path, max_bytes=1_000_000) == "a: 1\n" + "b: 2\n" * 30_000
    path.write_text("a: 1\n")
    with pytest.raises(inputs.ReadRefused, match="over portlint's limit"):
        inputs.read_input(path, tmp_path, max_bytes=100_000)


def test_the_descriptor_is_closed_whatever_happens(tmp_path):
    good = tmp_path / "good.yml"
    good.write_text("a: 1\n")
    bad = tmp_path / "bad.yml"
    bad.write_bytes(b"\xff\xfe")
    fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for _ in range(50):
        inputs.read_input(good, tmp_path)
        with pytest.raises(inputs.ReadRefused):
            inputs.read_input(bad, tmp_path)
    if fds is not None:
        assert len(os.listdir("/proc/self/fd")) == fds


def test_a_remembered_folder_is_read_as_a_folder(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.yml").write_text("a: 1\n")
    (tmp_path / "l").symlink_to(tmp_path / "d")
    inputs.start_run()
    try:
        for _ in range(2):
            for name in ("d", "l", "d/a.yml", "l/a.yml"):
                assert inputs.real_path(tmp_path / name) == os.path.realpath(tmp_path / name), name
            with pytest.raises(inputs.ReadRefused, match="not a regular file"):
                inputs.read_input(tmp_path / "d", tmp_path)
            assert inputs.read_input(tmp_path / "d" / "a.yml", tmp_path) == "a: 1\n"
    finally:
        inputs.end_run()


def test_the_current_folder_is_asked_again_each_run(tmp_path, monkeypatch):
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.yml").write_text(f"{name}: 1\n")
    monkeypatch.chdir(tmp_path / "one")
    inputs.start_run()
    try:
        assert inputs.read_input(Path("a.yml"), tmp_path) == "one: 1\n"
        monkeypatch.chdir(tmp_path / "two")
        inputs.start_run()
        assert inputs.read_input(Path("a.yml"), tmp_path) == "two: 1\n"
        assert inputs.real_path("a.yml") == os.path.realpath("a.yml")
    finally:
        inputs.end_run()


@pytest.mark.parametrize("where", ["/", "tmp"])
def test_absolute_agrees_with_abspath(tmp_path, monkeypatch, where):
    monkeypatch.chdir("/" if where == "/" else tmp_path)
    cases = ["a", "a/b", "./a", "../a", "a/../b", "a//b", ".", "", "/x/../y", "//x", "a/"]
    expected = [os.path.abspath(case) for case in cases]
    assert [inputs.absolute(case) for case in cases] == expected
    inputs.start_run()
    try:
        for _ in range(2):
            assert [inputs.absolute(case) for case in cases] == expected
            assert [inputs.absolute(Path(case)) for case in cases if case] == \
                [os.path.abspath(Path(case)) for case in cases if case]
    finally:
        inputs.end_run()
