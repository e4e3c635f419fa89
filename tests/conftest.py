"""Shared helpers: parse a Compose text in memory, run the CLI, find ../shared."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from portlint.checks import RuleContext
from portlint.cli import cli
from portlint.engine import evaluate, load_rules, Options
from portlint.parsers import ParseContext, SourceFile
from portlint.parsers.compose import ComposeParser
from portlint.reference import load_risk_list

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def parse_compose(text: str, environ=None, files=None, env_files=(), name="compose.yaml"):
    """Parse Compose ``text`` as /project/<name>; ``files`` maps other paths to contents."""
    files = {Path(k): v for k, v in (files or {}).items()}
    ctx = ParseContext(environ=environ or {}, env_files=tuple(Path(p) for p in env_files),
                       read_text=files.get)
    source = SourceFile(Path("/project") / name, name, dedent(text))
    return ComposeParser().parse_file(source, ctx)


def findings_for(text: str, **kw):
    outcome = parse_compose(text, **kw)
    assert not outcome.errors, outcome.errors
    rules = load_rules(Options(environ={}))
    return evaluate(list(outcome.exposures), rules, RuleContext(risks=load_risk_list()))


@pytest.fixture
def run_cli():
    def invoke(*args, env=None, **kw):
        clean = {"GITHUB_ACTIONS": None, "NO_COLOR": None, **(env or {})}
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, env=clean, **kw)
    return invoke


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present beside this checkout (only CI and developer machines have it)")
    return SHARED


def run_tree(tmp_path, files: dict, **options):
    """Write ``files`` under tmp_path and run the whole pipeline on it."""
    from portlint.engine import run

    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dedent(text))
    options.setdefault("environ", {})
    return run([tmp_path], Options(cwd=tmp_path, **options))


def summary(exposures):
    """(file, line, end_line, resource, direction, action, protocol, 'a-b', scope) per exposure."""
    return [(e.location.file, e.location.line, e.location.end_line, e.resource, e.direction, e.action,
             e.protocol, str(e.port_range), e.scope) for e in exposures]


def make_venv(path: Path) -> Path:
    """A fresh virtualenv that can import this environment's packages, but not its portlint.

    Works whether the tests run in a virtualenv or not: the outer site-packages
    folders are listed in a .pth file (whose own .pth files, such as an
    editable portlint, are not processed).
    """
    import site
    import subprocess
    import sys
    import venv

    venv.EnvBuilder(with_pip=True).create(path)
    python = path / "bin" / "python"
    inner = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    outer = [p for p in site.getsitepackages() + [site.getusersitepackages()] if Path(p).is_dir()]
    outer += [p for p in sys.path if p.endswith("site-packages") and p not in outer]
    (Path(inner) / "zz_outer_environment.pth").write_text("\n".join(outer) + "\n")
    return python
