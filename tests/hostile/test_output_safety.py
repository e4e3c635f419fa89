"""Hostile names and messages in every output, declarative rule files, and suppression comments.

Every formatter must print what came from a checked file as data: a name can
never forge a workflow command, recolour a terminal, inject HTML into a job
summary or make JUnit malformed. Rule files are data too (no ``str.format``),
and suppression comments are parsed in linear time.
"""

from __future__ import annotations

import json
import os
import random
import re
from xml.etree import ElementTree as ET

import pytest

from portlint.declarative import RuleFileError, compile_message, load_rule_file, load_rules_dir, render_message
from portlint.formatters import CHECK_FORMATS, INVENTORY_FORMATS, get_renderer
from portlint.formatters.escape import markdown_code, markdown_text, visible, workflow_data, workflow_property
from portlint.model import Exposure, Finding, InputError, Location, PortRange, Report, Severity
from portlint.suppress import Directive, DirectiveIndex, apply, directives
from tests.conftest import dedent

ESC_TITLE = "\x1b]0;pwned\x07"          # OSC: set the terminal title
ESC_CLEAR = "\x1b[2J\x1b[31m"           # clear the screen, turn red
FORGED = "\n::error file=forged.tf,line=1::forged finding\n"
HOSTILE = (f"svc{ESC_TITLE}{ESC_CLEAR}<script>alert(1)</script>]]>\x00{FORGED}\r"
           "`|` **bold** [link](javascript:x) &amp; \u202eevil\u2066 \udcff %0A::warning::x \x85\u2028end")


def _exposure(resource: str, file: str, line: int = 3) -> Exposure:
    return Exposure(kind="compose", location=Location(file, line, line, 5), resource=resource,
                    protocol="tcp", port_range=PortRange.single(5432), sources=(f"0.0.0.0/0{HOSTILE}",),
                    scope="internet", image=HOSTILE)


def hostile_report() -> Report:
    bad_file = f"dir{HOSTILE}/compose.yaml"
    findings = [
        Finding("PL101", "risky-service-public", Severity.HIGH, f"message {HOSTILE}", _exposure(HOSTILE, bad_file)),
        Finding("PL101", "risky-service-public", Severity.LOW, "plain message", _exposure("services.db", "good.yaml")),
    ]
    errors = [InputError(bad_file, 7, f"invalid YAML: {HOSTILE}", 2)]
    return Report(findings=findings, errors=errors, exposures=[f.exposure for f in findings], files_scanned=2)


RAW_DANGER = ("\x1b", "\x00", "\x07", "\r", "\u202e", "\u2066", "\x85", "\u2028")


def _assert_encodable(text: str) -> None:
    text.encode("utf-8")  # a lone surrogate would raise here


@pytest.mark.parametrize("fmt", sorted(CHECK_FORMATS))
def test_every_check_format_renders_hostile_values_safely(fmt):
    report = hostile_report()
    out = get_renderer(CHECK_FORMATS, fmt)(report, {})
    _assert_encodable(out)
    for char in RAW_DANGER:
        if fmt in ("json", "sarif", "gitlab"):
            break  # JSON escapes these itself; checked below on the decoded document
        assert char not in out, (fmt, repr(char))
    if fmt in ("json", "sarif", "gitlab"):
        doc = json.loads(out)
        strings = []

        def walk(value):
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, dict):
                for k, v in value.items():
                    walk(k)
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)
        walk(doc)
        for s in strings:
            s.encode("utf-8")  # no lone surrogate survives into the document
        assert any("\\udcff" in s for s in strings)  # shown, not dropped
        assert any("<script>" in s for s in strings)  # data is kept as data in JSON


def test_text_output_has_one_line_per_record_and_shows_controls():
    out = get_renderer(CHECK_FORMATS, "text")(hostile_report(), {})
    lines = out.splitlines()
    assert len(lines) == 3 + 1  # two findings, one input error, the summary
    assert "\\x1b]0;pwned\\x07" in out and "\\n::error" in out and "\\u202e" in out and "\\udcff" in out
    assert "::error file=forged.tf" not in [line[:22] for line in lines]


def test_text_colour_keeps_only_portlints_own_escape_sequences():
    out = get_renderer(CHECK_FORMATS, "text")(hostile_report(), {"color": True})
    sequences = re.findall(r"\x1b[^m]*m?", out)
    assert sequences and all(re.fullmatch(r"\x1b\[[0-9;]*m", s) for s in sequences), sequences
    assert "\x1b[2J" not in out and "\x1b]" not in out and "\x07" not in out
    # the hostile ESC is shown as text right after the service name
    assert "svc\\x1b]0;pwned\\x07\\x1b[2J" in out


def test_inventory_table_is_one_line_per_exposure():
    report = hostile_report()
    out = get_renderer(INVENTORY_FORMATS, "table")(report, {})
    _assert_encodable(out)
    assert not any(c in out for c in RAW_DANGER)
    # header, two exposures, the count line, one error line
    assert len(out.splitlines()) == 5
    json.loads(get_renderer(INVENTORY_FORMATS, "json")(report, {}))


GITHUB_LINE = re.compile(r"^::(error|warning|notice) file=[^,:\r\n]*,line=\d+(,endLine=\d+)?,col=\d+,title=[^:,]*"
                         r"::[^\r\n]*$")


def test_github_annotations_cannot_be_forged():
    out = get_renderer(CHECK_FORMATS, "github")(hostile_report(), {})
    lines = out.splitlines()
    assert len(lines) == 4 and lines[-1].startswith("2 findings")
    assert all(GITHUB_LINE.match(line) for line in lines[:-1]), lines
    assert sum(line.startswith("::") for line in lines) == 3
    # the runner splits lines on \r, \n and \r\n only; none is inside a value, and % is escaped first
    assert "\r" not in out and "%0A::warning::x" not in out and "%250A::warning::x" in out


def test_workflow_escaping_follows_githubs_rules():
    assert workflow_data("50%\r\nx") == "50%25\\r\\nx"  # shown first, so no raw line break is left
    assert workflow_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert "::" not in workflow_property("x::error::y")


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_has_no_raw_html_and_keeps_its_table():
    out = get_renderer(CHECK_FORMATS, "markdown")(hostile_report(), {})
    assert "<script" not in out and "</script" not in out and "&lt;script&gt;" in out
    assert "javascript:x" not in out.replace("\\[link\\](javascript:x)", "")  # link syntax is broken up
    rows = [line for line in out.splitlines() if line.startswith("| **")]
    assert len(rows) == 2 and all(_unescaped_pipes(row) == 5 for row in rows), rows
    # a plain location keeps its code span; a hostile one becomes escaped <code>
    assert "`good.yaml:3`" in out and "<code>dir" in out
    errors = [line for line in out.split("### Input errors", 1)[1].splitlines() if line]
    assert len(errors) == 2 and errors[0].startswith("- <code>dir")  # one item, then the closing hint


def test_markdown_helpers():
    assert markdown_text("<b>&") == "&lt;b&gt;&amp;"
    assert markdown_text("a|b`c*d_e[f]g~h\\") == "a\\|b\\`c\\*d\\_e\\[f\\]g\\~h\\\\"
    assert markdown_code("app/compose.yaml:5") == "`app/compose.yaml:5`"
    assert markdown_code("a`b") == "<code>a\\`b</code>"


def test_junit_is_well_formed_and_keeps_the_text():
    out = get_renderer(CHECK_FORMATS, "junit")(hostile_report(), {})
    root = ET.fromstring(out)
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 3
    failure = cases[0].find("failure")
    assert "<script>alert(1)</script>]]>\\x00" in failure.get("message")
    assert "\\udcff" in failure.text and "\\x1b" in failure.text
    assert cases[2].find("error").get("line") is None and cases[2].get("line") == "7"


def test_visible_covers_c0_c1_bidi_and_surrogates():
    for code in [*range(0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A),
                 0xD800, 0xDFFF, 0xFFFE]:
        shown = visible(f"a{chr(code)}b")
        assert shown.startswith("a\\") and shown.endswith("b") and shown.isprintable(), hex(code)
    assert visible("plain ascii and ünïcödé 日本") == "plain ascii and ünïcödé 日本"
    assert visible("\x1b\n\r\t") == "\\x1b\\n\\r\\t"


# --- end to end: a hostile tree beside a good risky file ----------------------------------------

GOOD = 'services:\n  db:\n    image: postgres:16\n    ports: ["5432:5432"]\n'


@pytest.fixture
def hostile_tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "compose.yaml").write_text(GOOD)
    forged = tmp_path / "x\n::error file=forged.tf,line=1::forged\x1b[2J"
    forged.mkdir()
    # a service whose name carries a newline, a workflow command and an escape sequence
    (forged / "compose.yaml").write_text(
        'services:\n  "evil\\n::error file=x,line=1::forged\\e[31m<script>":\n'
        '    image: redis:7\n    ports: ["6379:6379"]\n')
    undecodable = os.fsencode(tmp_path) + b"/bad\xff"
    os.mkdir(undecodable)
    with open(undecodable + b"/compose.yaml", "w") as fh:
        fh.write('services:\n  db:\n    image: mysql:8\n    ports: ["3306:3306"]\n')
    return tmp_path


@pytest.mark.parametrize("fmt", ["text", "github", "markdown", "junit", "json", "sarif", "gitlab"])
def test_hostile_names_end_to_end(run_cli, hostile_tree, fmt):
    result = run_cli("check", "--format", fmt, ".")
    out = result.stdout
    assert result.exit_code == 1, (result.exit_code, out, result.stderr)
    _assert_encodable(out)
    assert "good/compose.yaml" in out  # the good file's finding is kept
    if fmt == "github":
        commands = [line for line in out.splitlines() if line.startswith("::")]
        assert len(commands) == 3 and all(GITHUB_LINE.match(line) for line in commands), commands
        assert not any(line.startswith("::error file=forged") or line.startswith("::error file=x,")
                       for line in out.splitlines())
    elif fmt == "text":
        assert "\x1b" not in out and len(out.splitlines()) == 4
        assert "bad\\udcff/compose.yaml" in out
    elif fmt == "markdown":
        assert "<script" not in out
    elif fmt == "junit":
        assert len(ET.fromstring(out).find("testsuite").findall("testcase")) == 3
    else:
        json.loads(out)


# --- declarative rules --------------------------------------------------------------------------

RULE = dedent("""
    rules:
      - code: ACME301
        name: no-public-redis
        severity: high
        summary: Redis must stay private.
        match:
          ports: [6379]
        message: "{resource} opens {port}/{protocol} to {sources} in {file}:{line} ({kind}, {scope}) {{literal}}"
""")


def _rule_file(tmp_path, text, name="r.yaml"):
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def test_declarative_message_placeholders_render(tmp_path):
    [rule] = load_rule_file(_rule_file(tmp_path, RULE), "rules/r.yaml")
    assert list(rule().check(_exposure("services.cache", "compose.yaml"), None)) == []  # 5432, not 6379
    exposure = Exposure(kind="compose", location=Location("compose.yaml", 4, 4), resource="services.cache",
                        protocol="tcp", port_range=PortRange.single(6379), sources=("0.0.0.0/0",),
                        scope="internet")
    [hit] = list(rule().check(exposure, None))
    assert hit.message == "services.cache opens 6379/tcp to 0.0.0.0/0 in compose.yaml:4 (compose, internet) {literal}"


@pytest.mark.parametrize("message, fragment", [
    ("{e.__class__.__init__.__globals__}", "unknown placeholder {e.__class__.__init__.__globals__}"),
    ("{port:99999999}", "unknown placeholder {port:99999999}"),
    ("{port!r} opened", "unknown placeholder {port!r}"),
    ("{0} opened here", "unknown placeholder {0}"),
    ("port {port opened", "never closed"),
])
def test_declarative_message_is_not_a_format_string(tmp_path, message, fragment):
    text = RULE.replace(RULE.splitlines()[-1], f"    message: {json.dumps(message)}")
    with pytest.raises(RuleFileError) as info:
        load_rule_file(_rule_file(tmp_path, text), "rules/r.yaml")
    assert info.value.line == 8 and fragment in info.value.message and "$.rules[0].message" in info.value.message


def test_compile_message_is_linear_on_braces():
    parts = compile_message("}" * 200_000 + "{{" * 200_000 + "{port}")
    assert parts[-1] == (True, "port") and len(parts[0][1]) == 300_000
    assert render_message(compile_message("a{{b}}c"), None) == "a{b}c"


@pytest.mark.parametrize("ports, line, fragment", [
    ('["9-1"]', 7, "must be written low-high"),
    ("[22, 70000]", 7, "70000 is greater than the maximum"),
    ('["65000-65536"]', 7, "ports go from 0 to 65535"),
])
def test_bad_rule_ports_are_rule_file_errors(tmp_path, ports, line, fragment):
    text = RULE.replace("ports: [6379]", f"ports: {ports}")
    with pytest.raises(RuleFileError) as info:
        load_rule_file(_rule_file(tmp_path, text), "rules/r.yaml")
    assert info.value.line == line and fragment in info.value.message and "$.rules[0].match.ports" in info.value.message


def test_second_rule_error_points_at_its_own_line(tmp_path):
    second = "\n".join(RULE.splitlines()[1:]).replace("ACME301", "ACME302").replace("no-public-redis", "other-rule")
    text = RULE + second.replace('message: "', 'message: "{bad} ') + "\n"
    with pytest.raises(RuleFileError) as info:
        load_rule_file(_rule_file(tmp_path, text), "rules/r.yaml")
    assert info.value.line == 15 and "$.rules[1].message" in info.value.message


def test_rule_folder_refuses_fifos_and_links_out(tmp_path):
    folder = _rule_file(tmp_path, RULE).parent
    os.mkfifo(folder / "pipe.yaml")
    with pytest.raises(RuleFileError) as info:
        load_rules_dir(folder, lambda p: p.name)
    assert info.value.file == "pipe.yaml" and "not a regular file" in info.value.message
    (folder / "pipe.yaml").unlink()
    outside = tmp_path / "outside.yaml"
    outside.write_text(RULE)
    (folder / "link.yaml").symlink_to(outside)
    with pytest.raises(RuleFileError) as info:
        load_rules_dir(folder, lambda p: p.name)
    assert info.value.file == "link.yaml" and "outside" in info.value.message
    (folder / "link.yaml").unlink()
    (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    with pytest.raises(RuleFileError) as info:
        load_rules_dir(folder, lambda p: p.name)
    assert info.value.file == "loop.yaml"


def test_cli_reports_bad_rule_message_with_file_and_line(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(GOOD)
    _rule_file(tmp_path, RULE.replace("{resource}", "{e.__class__}"))
    result = run_cli("check", "--rules-dir", "rules", ".")
    assert result.exit_code == 2 and "r.yaml:8:" in result.stdout + result.stderr and "Traceback" not in result.stderr


# --- suppression comments -----------------------------------------------------------------------

def test_directive_forms():
    text = dedent("""
        a: 1  # portlint: disable=PL101 -- staging only
        // portlint: disable-next-line=risky-service-public,PL102
        # portlint: disable-file
        #portlint:disable=all--why
        # portlint: disable=PL101 PL103
        # portlint: disablex
        # portlint: disable-foo
        # portlint: disable=
        # portlint: disable=!bad
        x: "portlint: disable"
        # portlint: disable=! # portlint: disable=PL104
    """)
    found = [(d.kind, d.line, sorted(d.codes), d.reason) for d in directives(text)]
    assert found == [
        ("disable", 1, ["PL101"], "staging only"),
        ("disable-next-line", 2, ["PL102", "risky-service-public"], ""),
        ("disable-file", 3, [], ""),
        ("disable", 4, [], "why"),
        ("disable", 5, ["PL101", "PL103"], ""),
        ("disable", 11, ["PL104"], ""),
    ]


@pytest.mark.parametrize("line", [
    "# portlint: disable=a" + " " * 1_000_000 + "!",        # the old regex took 28 s on 20 KB of this
    "# portlint: disable=" + "a " * 500_000 + "!",
    "# portlint: disable=" + "a-" * 500_000 + "-- reason",
    "# portlint:" * 100_000,
    "#" + " " * 1_000_000 + "portlint: disable",
    "# portlint: disable -- " + "x" * 1_000_000,
])
def test_megabyte_lines_are_parsed(line):
    found = directives(line)
    assert len(found) <= 1 and all(d.line == 1 for d in found)


def test_forty_thousand_directive_lines_and_findings():
    text = "\n".join(f"- port{i}  # portlint: disable=PL{i % 1000:03d} -- r" for i in range(40_000))
    found = directives(text)
    assert len(found) == 40_000
    findings = [Finding("PL101", "risky-service-public", Severity.HIGH, "m",
                        _exposure(f"r{i}", "big.yaml", line=i + 1)) for i in range(40_000)]
    kept, suppressed = apply(findings, {"big.yaml": text})
    assert len(suppressed) == 40 and len(kept) == 39_960  # lines 102, 1102, ... carry PL101


def test_index_agrees_with_the_directives():
    rng = random.Random(7)
    codes = ["PL101", "PL102", "risky-service-public", "other-rule"]
    for _ in range(300):
        found = [Directive(rng.choice(["disable", "disable-next-line", "disable-file"]), rng.randint(1, 30),
                           frozenset(rng.sample(codes, rng.randint(0, 2))), "") for _ in range(rng.randint(0, 6))]
        index = DirectiveIndex(found)
        line = rng.randint(1, 30)
        exposure = Exposure(kind="compose", location=Location("f", line, line + rng.randint(-1, 4)), resource="r",
                            protocol="tcp", port_range=PortRange.single(1), sources=(), scope="internet")
        name = rng.choice(["risky-service-public", "other-rule"])
        finding = Finding(rng.choice(["PL101", "PL102"]), name, Severity.HIGH, "m", exposure)
        assert index.covers(finding) == any(d.covers(finding) for d in found), (found, finding)


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

_PIECES = st.sampled_from(["#", "//", " ", "portlint:", "disable", "-next-line", "-file", "=", ",", "--",
                           "PL101", "all", "x", "\n", "\r", "\t", "é", "\u2028", "!"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_directives_never_raise(text):
    for d in directives(text):
        assert d.kind in ("disable", "disable-next-line", "disable-file") and d.line >= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_escaping_is_total(text):
    for render in (visible, workflow_data, workflow_property, markdown_text, markdown_code):
        out = render(text)
        out.encode("utf-8")
        assert "\n" not in out and "\r" not in out and "\x1b" not in out
    assert "<" not in markdown_text(text) and "<" not in markdown_code(text).removeprefix("<code>").removesuffix("</code>")
    assert "::" not in workflow_property(text)
