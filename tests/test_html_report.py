"""The HTML port map (issue 16): content, escaping of hostile names, links, and the JSON it is drawn from."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import pytest

from portlint.schemas import validator
from tests.conftest import REPO, dedent

RISKY = """\
services:
  db:
    image: postgres:16
    ports:
      - "5432:5432"   # portlint: disable=PL101 -- firewalled upstream, ticket OPS-12
  cache:
    image: redis:7
    ports: ["6379:6379"]
  web:
    image: nginx
    ports: ["127.0.0.1:8080:80"]
"""


class Page(HTMLParser):
    """Every start tag with its attributes, the text, and the rows of the map."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "style":
            self.styles.append(data)
        else:
            self.text.append(data)

    @property
    def rows(self) -> list[dict]:
        return [attrs for tag, attrs in self.tags if tag == "tr" and "exposure" in attrs.get("class", "")]

    @property
    def plain(self) -> str:
        return "".join(self.text)


def write(tmp_path, files: dict) -> None:
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dedent(text))


@pytest.fixture
def tree(tmp_path, monkeypatch):
    write(tmp_path, {"app/compose.yaml": RISKY})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_examples_page_lists_every_exposure_of_the_json_inventory(run_cli):
    inventory = json.loads(run_cli("inventory", "-f", "json", REPO / "examples").stdout)
    result = run_cli("inventory", "-f", "html", REPO / "examples")
    page = Page(result.stdout)
    assert len(page.rows) == len(inventory["exposures"]) > 50
    shown = page.plain
    for exposure in inventory["exposures"]:
        assert f"{exposure['file']}:{exposure['line']}" in shown
        assert exposure["resource"] in shown
    assert sorted(r["data-scope"] for r in page.rows) == sorted(e["scope"] for e in inventory["exposures"])
    # severity is text as well as colour
    assert sum(1 for r in page.rows if r["data-severity"] == "critical") == \
        sum(1 for e in inventory["exposures"] if e["severity"] == "critical") > 0


def test_inventory_json_carries_findings_status_and_service_and_matches_schema(tree, run_cli):
    doc = json.loads(run_cli("inventory", "-f", "json", "app").stdout)
    validator("inventory").validate(doc)
    by_service = {e["resource"]: e for e in doc["exposures"]}
    db, cache, web = by_service["services.db"], by_service["services.cache"], by_service["services.web"]
    assert db["service"] == "PostgreSQL" and cache["service"] == "Redis"
    assert db["status"] == "suppressed" and db["severity"] is None
    assert db["findings"][0]["reason"] == "firewalled upstream, ticket OPS-12"
    assert cache["status"] == "open" and cache["severity"] == "critical"
    assert cache["findings"][0]["rule_id"] == "PL101"
    assert web["status"] == "none" and web["findings"] == [] and web["scope"] == "local"
    assert doc["summary"]["by_scope"]["internet"] == 2 and doc["summary"]["suppressed"] == 1


def test_old_inventory_documents_still_validate():
    old = {"schema_version": 1, "tool": {"name": "portlint", "version": "0.1.0"}, "errors": [], "exposures": [
        {"kind": "compose", "file": "c.yaml", "line": 3, "end_line": 3, "column": 7, "resource": "services.a",
         "direction": "ingress", "action": "allow", "protocol": "tcp", "port_range": [22, 22],
         "target_port_range": None, "sources": ["0.0.0.0"], "scope": "internet", "unresolved": [], "traits": []}]}
    validator("inventory").validate(old)


def test_suppressed_and_accepted_are_shown_with_their_reasons(tree, run_cli):
    run_cli("check", "app", "--write-baseline", "base.json")
    write(tree, {"app/compose.yaml": RISKY + '  extra:\n    image: mongo\n    ports: ["27017:27017"]\n'})
    result = run_cli("check", "app", "--baseline", "base.json", "--report", "html:out/map.html")
    assert result.exit_code == 1  # the new MongoDB finding; the page does not change the verdict
    page = Page((tree / "out" / "map.html").read_text())
    states = {r["data-search"].split()[0]: r["data-severity"] for r in page.rows}
    assert states == {"services.db": "suppressed", "services.cache": "accepted", "services.web": "none",
                      "services.extra": "critical"}
    assert "suppressed (high): firewalled upstream, ticket OPS-12" in page.plain
    assert "accepted (critical)" in page.plain


HOSTILE_NAME = '<script>alert(1)</script>"onmouseover=x'


def test_hostile_names_are_text_never_markup(tmp_path, monkeypatch, run_cli):
    odd = 'x"><img src=x onerror=alert(2)>'
    write(tmp_path, {
        f"{odd}/compose.yaml": f"""\
            services:
              '{HOSTILE_NAME}':
                image: "</style><script>alert(3)</script>"
                ports: ["0.0.0.0:6379:6379"]
              "evil\\u202e\\x1b[31m":
                image: redis
                ports: ["80:80"]
            """,
        "javascript:alert(4)/compose.yaml": "services:\n  a:\n    ports: ['22:22']\n",
    })
    monkeypatch.chdir(tmp_path)
    result = run_cli("inventory", "-f", "html", ".")
    html = result.stdout
    page = Page(html)
    assert len(page.rows) == 3
    assert [t for t, _ in page.tags].count("script") == 1 and len(page.scripts) == 1
    assert "alert" not in page.scripts[0]
    assert not any(t == "img" for t, _ in page.tags)
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    assert HOSTILE_NAME in page.plain  # shown, as text
    assert "evil\\u202e\\x1b[31m" in page.plain  # controls and bidi overrides written out
    assert "\x1b" not in html and "\u202e" not in html
    hrefs = [attrs["href"] for tag, attrs in page.tags if tag == "a" and "href" in attrs]
    assert "./javascript%3Aalert%284%29/compose.yaml" in hrefs
    assert not any(h.lower().startswith(("javascript:", "data:", "vbscript:")) for h in hrefs)


def test_page_loads_nothing_and_allows_only_its_own_script_and_style(run_cli):
    page = Page(run_cli("inventory", "-f", "html", REPO / "examples").stdout)
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*([a-z][a-z0-9+.-]*:|//)", value, re.I) or tag == "a" and \
                value.startswith("file://"), (tag, name, value)
        assert not (tag == "link" or (tag == "script" and "src" in attrs))
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp
    digest = lambda text: base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()  # noqa: E731
    assert f"script-src 'sha256-{digest(page.scripts[0])}'" in csp
    assert f"style-src 'sha256-{digest(page.styles[0])}'" in csp


def test_links_are_relative_to_the_page_or_under_link_base(tree, run_cli):
    assert run_cli("inventory", "-f", "html", "app", "-o", "reports/map.html").exit_code == 0
    hrefs = {a["href"] for t, a in Page((tree / "reports" / "map.html").read_text()).tags if t == "a" and "href" in a}
    assert "../app/compose.yaml" in hrefs
    base = "https://example.com/org/repo/blob/0123abc/"
    page = Page(run_cli("inventory", "-f", "html", "app", "--link-base", base).stdout)
    hrefs = {a["href"] for t, a in page.tags if t == "a" and a.get("href", "").startswith("https:")}
    assert f"{base}app/compose.yaml#L8" in hrefs
    refused = run_cli("inventory", "-f", "html", "app", "--link-base", "javascript:alert(1)//")
    assert refused.exit_code == 2 and "http(s) URL" in refused.output


def test_all_ports_open_to_the_internet_cannot_be_missed(tmp_path, monkeypatch, run_cli):
    write(tmp_path, {"compose.yaml": "services:\n  wide:\n    network_mode: host\n    image: x\n"})
    monkeypatch.chdir(tmp_path)
    page = Page(run_cli("inventory", "-f", "html", ".").stdout)
    text = page.plain
    assert "Every port is open to the internet" in text and "ALL PORTS" in text
    assert "all ports (0\u201365535)" in text
    assert "65,536 ports: 0\u201365535" in text


def test_render_draws_the_same_page_from_a_saved_inventory(tree, run_cli):
    direct = run_cli("inventory", "-f", "html", "app", "-o", "map.html")
    saved = run_cli("inventory", "-f", "json", "app", "-o", "inventory.json")
    drawn = run_cli("render", "inventory.json", "--format", "html", "-o", "drawn.html")
    assert (direct.exit_code, saved.exit_code, drawn.exit_code) == (0, 0, 0)
    assert (tree / "drawn.html").read_text() == (tree / "map.html").read_text()


@pytest.mark.parametrize("content, message", [
    ('{"', "is not JSON"),
    ("[" * 100_000, "nested too deeply"),
    ('{"schema_version": 1}', "is not a portlint inventory ($: 'tool' is a required property)"),
    ('{"schema_version": 1, "tool": {"name": "portlint", "version": "1"}, "errors": [], "exposures": '
     '[{"kind": "<x>"}]}', "is not a portlint inventory ($.exposures[0]"),
    ("[]", "is not a portlint inventory ($: not an object)"),
])
def test_render_refuses_what_is_not_an_inventory(tmp_path, run_cli, content, message):
    (tmp_path / "inventory.json").write_text(content)
    result = run_cli("render", tmp_path / "inventory.json")
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_render_reads_no_fifo(tmp_path, run_cli):
    import os

    os.mkfifo(tmp_path / "inventory.json")
    result = run_cli("render", tmp_path / "inventory.json")
    assert result.exit_code == 2 and "not a regular file" in result.output


def test_render_never_writes_over_its_input(tree, run_cli):
    run_cli("inventory", "-f", "json", "app", "-o", "inventory.json")
    result = run_cli("render", "inventory.json", "-o", "inventory.json")
    assert result.exit_code == 2 and json.loads((tree / "inventory.json").read_text())["exposures"]


def test_rows_are_grouped_by_scope_and_resource_riskiest_first(tree, run_cli):
    html = run_cli("inventory", "-f", "html", "app").stdout
    internet = html[html.index('id="scope-internet"'):html.index('id="scope-local"')]
    assert internet.index("services.cache") < internet.index("services.db")  # open critical before suppressed
    assert "<details open>" in html and '<th colspan="9" scope="rowgroup">' in html


def test_render_refuses_more_exposures_than_the_limit_before_validating(tmp_path, run_cli, monkeypatch):
    from portlint import limits

    monkeypatch.setattr(limits, "EXPOSURES_PER_FILE", 3)
    doc = {"schema_version": 1, "tool": {"name": "portlint", "version": "1"}, "errors": [], "exposures": [{}] * 4}
    (tmp_path / "inventory.json").write_text(json.dumps(doc))
    result = run_cli("render", tmp_path / "inventory.json")
    assert result.exit_code == 2 and "4 exposures, over portlint's limit of 3" in result.output


def test_each_finding_is_attached_once_to_its_own_exposure():
    from portlint.formatters.json_report import inventory_document
    from portlint.model import Exposure, Finding, Location, PortRange, Report, Severity

    def exposure():
        return Exposure("terraform", Location("sg.tf", 14, 20), "aws_security_group.db", "tcp", PortRange(443, 8443),
                        ("0.0.0.0/0",), "internet")

    first, second = exposure(), exposure()  # equal in every field, two objects (two roots before roots existed)
    findings = [Finding("PL103", "x", Severity.MEDIUM, "m", first), Finding("PL103", "x", Severity.MEDIUM, "m", second)]
    doc = inventory_document(Report(findings=findings, exposures=[first, second]))
    assert [[f["rule_id"] for f in e["findings"]] for e in doc["exposures"]] == [["PL103"], ["PL103"]]
    # a finding raised on an equal copy that is not in the map goes to one exposure, never to both
    stray = Finding("PL104", "y", Severity.LOW, "n", exposure())
    doc = inventory_document(Report(findings=[stray], exposures=[first, second]))
    assert sum(len(e["findings"]) for e in doc["exposures"]) + len(doc["other_findings"]) == 1


def test_render_links_from_the_recorded_scan_root_wherever_it_runs(tree, run_cli, monkeypatch):
    import os

    assert run_cli("inventory", "-f", "json", "app", "-o", "out/inventory.json").exit_code == 0
    doc = json.loads((tree / "out" / "inventory.json").read_text())
    assert doc["scan_root"] == ".."
    elsewhere = tree / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run_cli("render", "../out/inventory.json", "-o", "pages/map.html").exit_code == 0
    hrefs = {a["href"] for t, a in Page((elsewhere / "pages" / "map.html").read_text()).tags
             if t == "a" and a.get("href", "").startswith(".")}
    targets = {os.path.realpath(elsewhere / "pages" / h.split("#")[0]) for h in hrefs}
    assert targets == {os.path.realpath(tree / "app" / "compose.yaml")}


def test_an_absolute_file_in_a_saved_inventory_is_never_a_link(tree, run_cli):
    assert run_cli("inventory", "-f", "json", "app", "-o", "inventory.json").exit_code == 0
    doc = json.loads((tree / "inventory.json").read_text())
    for e in doc["exposures"]:
        e["file"] = "/etc/passwd"
    (tree / "hostile.json").write_text(json.dumps(doc))
    result = run_cli("render", "hostile.json")
    page = Page(result.stdout)
    hrefs = [a.get("href", "") for t, a in page.tags if t == "a"]
    assert not any("passwd" in h or h.startswith("file:") for h in hrefs)
    assert "/etc/passwd:" in page.plain
