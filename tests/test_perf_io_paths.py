"""Issue 14: shown_path's text fast path names every file as display_path does."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("cwd, base", [("/p", "/p"), ("/p/sub", "/p"), ("/", "/"), ("/p/", "/p"), ("//p", "//p"),
                                       ("/elsewhere", "/p"), ("/p", "/p/sub")])
@pytest.mark.parametrize("name", ["a.yml", "sub/a.yml", "./a.yml", "../a.yml", "sub/../a.yml", "/p/a.yml",
                                  "/p/sub/x/../a.yml", "/other/a.yml", "/p", ".", "//p/a.yml", "sub//a.yml"])
def test_shown_path_on_text_agrees_with_display_path(cwd, base, name):
    from pathlib import Path

    from portlint.engine import Options, display_path, shown_path

    options = Options(cwd=Path(cwd), project_root=Path(base))
    path = Path(name)
    expected = display_path(path if path.is_absolute() else options.cwd / path, options.display_base)
    assert shown_path(path, options) == expected
