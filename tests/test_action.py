"""action.yml: the steps' shell scripts, run with a stand-in portlint (no GitHub runner needed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import REPO

INPUTS = {"format": "github", "fail-on": "medium", "sarif-file": "portlint.sarif", "args": "", "paths": ".",
          "diff-base": "abc123"}


def _step(step_id: str) -> str:
    steps = yaml.safe_load((REPO / "action.yml").read_text())["runs"]["steps"]
    script = next(s for s in steps if s.get("id") == step_id)["run"]
    return re.sub(r"\$\{\{ inputs\.([a-z-]+) \}\}", lambda m: INPUTS[m.group(1)], script)


def _step_inputs(step_id: str) -> dict:
    """The step's environment as GitHub sets it from the inputs."""
    steps = yaml.safe_load((REPO / "action.yml").read_text())["runs"]["steps"]
    env = next(s for s in steps if s.get("id") == step_id).get("env", {})
    pattern = re.compile(r"\$\{\{ inputs\.([a-z-]+) \}\}")
    return {name: pattern.sub(lambda m: INPUTS.get(m.group(1), ""), value)
            for name, value in env.items() if pattern.fullmatch(value)}


def _run(tmp_path, step_id: str, fake: str, env=None):
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "portlint").write_text("#!/bin/sh\n" + fake)
    (bin_dir / "portlint").chmod(0o755)
    (bin_dir / "git").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "git").chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    result = subprocess.run(["bash", "-e", "-c", _step(step_id)], cwd=work, capture_output=True, text=True,
                            env={**os.environ, **_step_inputs(step_id), **(env or {}), "PATH": f"{bin_dir}:{os.environ['PATH']}",
                                 "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)})
    return result, summary.read_text() if summary.exists() else "", output.read_text()


@pytest.mark.parametrize("step_id", ["check", "diff"])
def test_usage_error_is_explained_in_the_summary(tmp_path, step_id):
    env = {"PORTLINT_DIFF_BASE": "abc123", "PORTLINT_FORMAT": "github", "PORTLINT_FAIL_ON": "medium",
           "PORTLINT_SARIF": "portlint.sarif"}
    result, summary, output = _run(tmp_path, step_id, "echo 'Error: unknown rule PL1O1' >&2\nexit 2\n", env)
    assert result.returncode == 0, result.stderr  # the step records the status; a later step fails the job
    assert "exit-code=2" in output
    assert "stopped with exit status 2 before writing its report" in summary
    assert "::error title=portlint::" in result.stdout


def test_report_is_appended_when_written(tmp_path):
    result, summary, output = _run(tmp_path, "check", 'printf "## portlint\\n\\n1 finding\\n" > portlint-summary.md\n'
                                                      "exit 1\n")
    assert "exit-code=1" in output and summary == "## portlint\n\n1 finding\n"
    assert "::error" not in result.stdout


def test_upload_steps_skip_a_missing_sarif_file():
    steps = yaml.safe_load((REPO / "action.yml").read_text())["runs"]["steps"]
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    assert len(uploads) == 2
    assert all("hashFiles(inputs.sarif-file) != ''" in s["if"] for s in uploads)


@pytest.mark.parametrize("step_id", ["check", "diff"])
def test_inputs_are_words_never_script_text(tmp_path, step_id):
    """A workflow that passes untrusted text (a branch name, a PR title) in args or paths runs nothing."""
    env = {"PORTLINT_DIFF_BASE": "abc123", "PORTLINT_FORMAT": "github", "PORTLINT_FAIL_ON": "medium",
           "PORTLINT_SARIF": "out.sarif", "PORTLINT_ARGS": "--select PL101 $(touch pwned) `touch pwned2` *",
           "PORTLINT_PATHS": "infra;touch${IFS}pwned3 web"}
    script = _step(step_id)
    assert "${{" not in script  # every input arrives through the environment
    result, _, output = _run(tmp_path, step_id, 'for a in "$@"; do printf "<%s>\\n" "$a"; done\nexit 0\n', env)
    assert result.returncode == 0, result.stderr
    words = re.findall(r"<(.*)>", result.stdout)
    assert ["--select", "PL101", "$(touch", "pwned)", "`touch", "pwned2`", "*"] == \
        words[words.index("--select"):words.index("*") + 1]
    assert ("infra;touch${IFS}pwned3" in words) or ("--path" in words and "infra;touch${IFS}pwned3" in words)
    assert not any((tmp_path / "work" / name).exists() for name in ("pwned", "pwned2", "pwned3"))
    assert "exit-code=0" in output
