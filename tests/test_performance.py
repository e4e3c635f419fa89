"""Issue 14: the Terraform grammar cache, token positions, --jobs, the result cache, lean start-up."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

HCL = '''resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 22
    to_port     = var.port == 1 ? 22 : (
      23
    )
    cidr_blocks = ["0.0.0.0/0", local.x[0]]
  }
  dynamic "egress" {
    for_each = { for k, v in var.m : k => v if v != null }
    content { x = "${egress.value}-a" }
  }
}
'''


def _run(code: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, timeout=120)


# --------------------------------------------------------------------------- HCL parser


def test_token_positions_equal_the_positions_lark_propagates():
    """Same grammar, same tree: every subtree's span read from its tokens is the one
    python-hcl2's propagate_positions parser gives it."""
    from hcl2 import parses_to_tree

    from portlint.parsers.terraform.hcl import hcl_parser, tree_span

    expected = list(parses_to_tree(HCL).iter_subtrees_topdown())
    got = list(hcl_parser().parse(HCL + "\n").iter_subtrees_topdown())
    assert [t.data for t in expected] == [t.data for t in got]
    spans = [(t.data, (s.line, s.column, s.end_line)) for t, s in ((t, tree_span(t)) for t in got)]
    metas = [(t.data, (t.meta.line, t.meta.column, t.meta.end_line)) for t in expected if not t.meta.empty]
    assert sorted(spans) == sorted(metas)
    # a known node: the ternary spans lines 5 to 7, starting at its condition's column
    conditional = next(t for t in got if t.data == "conditional")
    span = tree_span(conditional)
    assert (span.line, span.column, span.end_line) == (5, 19, 7)


def test_grammar_cache_is_written_to_the_user_cache_folder_not_python_hcl2s(tmp_path):
    import hcl2  # only for its folder

    package = Path(hcl2.__file__).parent
    before = sorted(p.name for p in package.iterdir())
    result = _run("from portlint.parsers.terraform.hcl import load_hcl; "
                  "print(load_hcl('a = 1\\n').attributes['a'].span.line)",
                  env={"PORTLINT_CACHE_DIR": str(tmp_path / "c")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
    cached = list((tmp_path / "c" / "grammar").glob("hcl2-*.lark"))
    assert len(cached) == 1 and cached[0].stat().st_size > 10_000
    assert sorted(p.name for p in package.iterdir()) == before
    assert stat.S_IMODE((tmp_path / "c" / "grammar").stat().st_mode) == 0o700


def test_a_damaged_grammar_cache_is_rebuilt_not_trusted(tmp_path):
    env = {"PORTLINT_CACHE_DIR": str(tmp_path)}
    code = "from portlint.parsers.terraform.hcl import load_hcl; print(load_hcl('x = 2\\n').attributes['x'].span.line)"
    assert _run(code, env).stdout.strip() == "1"
    (cached,) = (tmp_path / "grammar").glob("hcl2-*.lark")
    cached.write_bytes(b"not a cache\n\x80\x04garbage")
    result = _run(code, env)
    assert result.returncode == 0 and result.stdout.strip() == "1" and result.stderr == ""
    assert cached.stat().st_size > 10_000  # written again


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_a_grammar_folder_others_can_write_is_not_used(tmp_path):
    from portlint.cache import private_folder

    (tmp_path / "grammar").mkdir()
    os.chmod(tmp_path / "grammar", 0o777)
    assert private_folder("grammar", tmp_path) is None
    os.chmod(tmp_path / "grammar", 0o700)
    assert private_folder("grammar", tmp_path) == str(tmp_path / "grammar")
    (tmp_path / "linked").symlink_to(tmp_path / "grammar")
    assert private_folder("linked", tmp_path) is None
