"""Judging per configuration looks each file's scope up by its folder's name, built as text
(issue 14): the text must be the one ``scope_of`` builds with Paths, so the answer is the same."""

from __future__ import annotations

import json
import os

from portlint import config as config_mod
from portlint import engine
from tests.conftest import dedent

REDIS = dedent("""
    services:
      cache:
        image: redis:7
        ports:
          - "6379:6379"
""")


def test_scopes_are_asked_for_the_folders_scope_of_names(tmp_path, monkeypatch, run_cli):
    root = tmp_path / "repo"
    files = {
        ".portlint.yaml": "severity:\n  PL101: high\n",
        "docker-compose.yml": REDIS,
        "infra/.portlint.yaml": "severity:\n  PL101: low\n",
        "infra/docker-compose.yml": REDIS,
        "infra/deep/er/docker-compose.yml": REDIS,
        "web/.portlint.yaml": "ignore: [PL101]\n",
        "web/api/compose.yaml": REDIS,
        "odd name/x y/docker-compose.yml": REDIS,
    }
    (root / ".git").mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    monkeypatch.chdir(root / "infra")  # the current folder is not the project root

    asked: list[str] = []
    judging = []
    real_for_folder = config_mod.ConfigTree.for_folder
    real_judge = engine._judge_per_scope

    def for_folder(self, folder, *args, **kwargs):
        if judging:
            asked.append(os.fspath(folder))
        return real_for_folder(self, folder, *args, **kwargs)

    def judge(report, options):
        judging.append(options)
        try:
            return real_judge(report, options)
        finally:
            judging.pop()

    monkeypatch.setattr(config_mod.ConfigTree, "for_folder", for_folder)
    monkeypatch.setattr(engine, "_judge_per_scope", judge)
    result = run_cli("check", "--no-cache", "-f", "json", "--project-root", str(root), str(root))
    assert result.exit_code in (0, 1), result.output
    shown = sorted({name for name in files if not name.endswith(".portlint.yaml")})
    expected = sorted({os.fspath((root / name).parent) for name in shown})
    assert sorted(set(asked)) == expected  # the text of (root / name).parent, as scope_of asks
    assert [f["file"] for f in json.loads(result.stdout)["findings"]] == [
        "docker-compose.yml", "infra/deep/er/docker-compose.yml", "infra/docker-compose.yml",
        "odd name/x y/docker-compose.yml"]
