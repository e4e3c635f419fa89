"""Build the wheel, install it into a fresh virtualenv, run it from outside the checkout.

This proves that rules/ ships inside the wheel and that nothing depends on the
source tree. It needs pip to fetch the build backend, like any `pip install .`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO, make_venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("portlint-*.whl")
    env_dir = root / "venv"
    python = make_venv(env_dir)
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    return env_dir, wheel


def test_wheel_contains_rules_data(installed):
    import zipfile

    _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "portlint/_rules/risks.yaml" in names
    assert "portlint/schemas/report.schema.json" in names


def test_installed_portlint_runs_outside_the_checkout(installed, tmp_path):
    env_dir, _ = installed
    (tmp_path / "compose.yaml").write_text('services:\n  rdp:\n    ports: ["3389:3389"]\n')
    result = subprocess.run([str(env_dir / "bin" / "portlint"), "check", "--format", "json", "."],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["findings"][0]["rule_id"] == "PL101"
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c",
                            "import portlint.reference as r; print(r.data_dir())"],
                           cwd=tmp_path, capture_output=True, text=True).stdout
    assert "_rules" in where and str(REPO) not in where
