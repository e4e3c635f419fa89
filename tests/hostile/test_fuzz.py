"""A bounded fuzz run: mutated example files beside good risky files, through the engine in process.

Deterministic (seeded ``random``), a fixed number of cases, with the work limits
lowered so that every case is small. For every mutant: no exception escapes
``engine.run``, no parser crashes into the last-resort net ("internal error"),
every error names a file and a line, and every good file's finding survives.
When hypothesis is installed, a second property test does the same with
generated text.
"""

from __future__ import annotations

import random
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest

from portlint import limits
from portlint.engine import Options, run
from tests.hostile.hostile_cases import GOOD_FILES, GOOD_FINDINGS

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples").rglob("*")
                  if p.is_file() and p.suffix in (".yaml", ".yml", ".tf", ".json") and "plugin" not in p.parts)
CASES = 300
SEED = 20240611
#: a guard against a hang taking the whole test run with it; not a performance assertion
GUARD_SECONDS = 20

SNIPPETS = [
    "{{", "}}", "${", "${a", "$${", "%{", "*alias", "&anchor", "<<: *anchor", "<<:", "!!python/object/apply:os.system",
    "!Ref", "!!binary", "\x00", "\ufeff", "\t", ": :", "- - -", "---\n", "...\n", "'", '"', "\\", "[", "]", "{", "}",
    "²", "٣", "0x1F", "-1", "65536", "1e400", "300.1.1.1/33", "9-1", "::/0", "0.0.0.0/0", "null", "~", "= [", "\"\"\"",
    "[" * 300, "{" * 300, "(" * 300, "a: &a [*a]", "for x in y :", "count = 99999999", "# portlint: disable=",
]


def _mutate(text: str, rng: random.Random) -> str:
    kind = rng.randrange(8)
    if not text:
        return rng.choice(SNIPPETS)
    pos = rng.randrange(len(text) + 1)
    lines = text.splitlines(keepends=True)
    if kind == 0:  # flip a byte (kept as text: a code point nearby)
        if pos == len(text):
            return text + chr(rng.randrange(1, 0x250))
        return text[:pos] + chr(rng.randrange(1, 0x250)) + text[pos + 1:]
    if kind == 1:  # truncate
        return text[:pos]
    if kind == 2:  # duplicate a line (duplicate keys, repeated blocks)
        i = rng.randrange(len(lines))
        return "".join(lines[:i + 1] + lines[i:])
    if kind == 3:  # delete a line
        i = rng.randrange(len(lines))
        return "".join(lines[:i] + lines[i + 1:])
    if kind == 4:  # insert a snippet
        return text[:pos] + rng.choice(SNIPPETS) + text[pos:]
    if kind == 5:  # several snippets
        for _ in range(rng.randrange(2, 6)):
            pos = rng.randrange(len(text) + 1)
            text = text[:pos] + rng.choice(SNIPPETS) + text[pos:]
        return text
    if kind == 6:  # deep nesting at a line start
        i = rng.randrange(len(lines))
        depth = rng.choice([50, 400, 3000])
        return "".join(lines[:i] + ["x: " + "[" * depth + "]" * depth + "\n"] + lines[i:])
    # swap two lines
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


@contextmanager
def _guard(seconds: int):
    def on_alarm(signum, frame):
        raise TimeoutError(f"no result within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def small_limits(monkeypatch):
    """Limits low enough that any bomb a mutation makes is cut short quickly."""
    for name, value in (("FILE_BYTES", 300_000), ("YAML_NODES", 50_000), ("YAML_ALIAS_NODES", 5_000),
                        ("YAML_DEPTH", 200), ("YAML_DOCUMENTS", 200), ("EXPOSURES_PER_FILE", 2_000),
                        ("TF_STEPS", 50_000), ("TF_COLLECTION", 2_000), ("TF_STRING", 20_000),
                        ("TF_MODULE_INSTANCES", 100)):
        if hasattr(limits, name):
            monkeypatch.setattr(limits, name, value)


def _good_tree(root: Path) -> None:
    for rel, content in GOOD_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def _check(root: Path, label: str) -> None:
    options = Options(environ={}, cwd=root, project_root=root)
    with _guard(GUARD_SECONDS):
        report = run([root], options)
    found = {(f.location.file, f.location.line, f.rule_id) for f in report.findings}
    for wanted in GOOD_FINDINGS:
        assert wanted in found, f"{label}: good finding {wanted} lost; errors: {report.errors}"
    for error in report.errors:
        assert error.file and error.line >= 1, f"{label}: an error without a place: {error}"
        assert "internal error" not in error.message, f"{label}: a parser crashed: {error}"


def test_examples_exist():
    assert len(EXAMPLES) >= 8


def test_seeded_mutations_of_the_examples(tmp_path, small_limits):
    rng = random.Random(SEED)
    _good_tree(tmp_path)
    fuzz = tmp_path / "fuzz"
    fuzz.mkdir()
    failures = []
    for number in range(CASES):
        source = EXAMPLES[number % len(EXAMPLES)]
        text = _mutate(source.read_text(encoding="utf-8"), rng)
        if rng.random() < 0.3:
            text = _mutate(text, rng)
        target = fuzz / source.name
        for old in fuzz.iterdir():
            old.unlink()
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
        label = f"case {number} ({source.relative_to(REPO)})"
        try:
            _check(tmp_path, label)
        except Exception as exc:  # collect them all: one report lists every failing mutant
            failures.append(f"{label}: {type(exc).__name__}: {str(exc)[:300]}")
    assert not failures, f"{len(failures)} of {CASES} mutants failed:\n" + "\n".join(failures[:20])


def test_property_generated_values(tmp_path_factory, small_limits):
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import HealthCheck, given, settings, strategies as st

    templates = [
        ("fuzz/compose.yaml", "services:\n  web:\n    image: nginx\n    ports:\n      - {v}\n"),
        ("fuzz/compose.yaml", "services:\n  {v}:\n    image: nginx\n"),
        ("fuzz/main.tf", 'resource "aws_security_group" "x" {{\n  ingress {{\n    from_port = {v}\n    to_port = 22\n'
                         '    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }}\n}}\n'),
        ("fuzz/main.tf", 'locals {{\n  a = {v}\n}}\n'),
        ("fuzz/k.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  type: LoadBalancer\n"
                        "  ports:\n    - port: {v}\n"),
        ("fuzz/x.firewall.yaml", "firewall:\n  rules:\n    - action: allow\n      ports: [{v}]\n      sources: [any]\n"),
    ]

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.sampled_from(templates), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
    def prop(template, value):
        root = tmp_path_factory.mktemp("prop")
        _good_tree(root)
        rel, text = template
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text.format(v=value), encoding="utf-8")
        _check(root, f"{rel} with {value!r}")

    assert hypothesis
    prop()
