"""Issue 13, 5: portlint diff checks each side in its own folder; excludes and per-file-ignores anchored to
the real project root are moved with it (portlint.discovery.rebase), so an anchored pattern still matches."""

from __future__ import annotations

import pytest

OPEN = 'services:\n  c:\n    image: redis:7\n    ports: ["6379:6379"]\n'


@pytest.fixture
def folders(tmp_path, monkeypatch):
    for side, text in (("old", "services: {}\n"), ("new", OPEN)):
        (tmp_path / side / "charts").mkdir(parents=True)
        (tmp_path / side / "charts" / "docker-compose.yml").write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_anchored_exclude_matches_in_each_side(folders, run_cli):
    opened = run_cli("diff", "old", "new")
    assert opened.exit_code == 1 and "charts/docker-compose.yml:4 (opened, critical)" in opened.stdout
    for args in (["--exclude", "/charts"], ["--exclude", "charts/"]):
        result = run_cli("diff", *args, "old", "new")
        assert result.exit_code == 0 and "does not change any port exposure" in result.stdout, args
    (folders / ".portlint.yaml").write_text("exclude: [/charts]\n")
    assert "does not change any port exposure" in run_cli("diff", "old", "new").stdout


def test_anchored_per_file_ignore_matches_in_each_side(folders, run_cli):
    (folders / ".portlint.yaml").write_text("per-file-ignores:\n  /charts/: [PL101]\n")
    result = run_cli("diff", "old", "new")
    assert result.exit_code == 0 and "(opened, no finding)" in result.stdout
