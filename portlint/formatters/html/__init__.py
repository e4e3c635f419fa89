"""The port map: one self-contained HTML page drawn from the inventory document.

The page is readable without JavaScript (every exposure is in the static
table, grouped with ``<details>`` by scope and ``<tbody>`` by resource) and
enhanced with it (filters, sorting, state in the URL fragment). It loads
nothing: CSS and JavaScript are inline and allowed only by their hashes in a
Content-Security-Policy that forbids every request, so even a value that
escaped escaping could not run or fetch anything. Every value that came from
a checked file (or from a saved JSON inventory) is written with ``_text``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote

from portlint import __version__
from portlint.formatters.escape import visible
from portlint.model import SCOPES, Report

SEVERITIES = ("critical", "high", "medium", "low", "info")
#: what a row's data-severity may be besides a severity: findings all suppressed/accepted, or none
STATES = SEVERITIES + ("suppressed", "accepted", "none")
_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}
SCOPE_LABELS = {"internet": "Internet", "restricted-public": "Restricted public", "private": "Private",
                "local": "Local", "unknown": "Unknown"}
#: the port space in three bands, each drawn one third of the bar wide
BANDS = (("well-known", 0, 1023), ("registered", 1024, 49151), ("ephemeral", 49152, 65535))
#: at most this many rows in the "internet-facing risk" list at the top
TOP_RISKS = 8
DASH = "\u2014"


def _text(value: object) -> str:
    """A checked-file value as HTML text or attribute: control and bidi characters written out."""
    return html.escape(visible("" if value is None else value), quote=True)


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def render_inventory(report: Report, options: dict) -> str:
    from portlint.formatters.json_report import inventory_document

    return render_document(inventory_document(report, options.get("suppression_reasons")), options)


render_check = render_inventory


# -- links -----------------------------------------------------------------------------------------

def _href(file: str, line: int, options: dict) -> str | None:
    """A link to ``file`` at ``line``: under ``link_base``, else relative to the page; None if none fits."""
    if not isinstance(file, str) or not file or "\\" in file or any(ord(c) < 0x20 for c in file):
        return None
    base = options.get("link_base")
    if base:
        if file.startswith("/") or file.startswith("../") or "/../" in file:
            return None  # not a path of the repository the base names
        return base.rstrip("/") + "/" + quote(file.removeprefix("./"), safe="/") + f"#L{int(line)}"
    if file.startswith("/") or (len(file) > 1 and file[1] == ":"):
        return None  # an absolute path (from a saved JSON, say /etc/passwd) is shown as text, never linked
    page_dir = options.get("page_dir")
    target = file
    if page_dir is not None:
        cwd = Path(options.get("cwd") or os.getcwd())
        root = Path(options.get("root") or cwd)
        root = root if root.is_absolute() else cwd / root
        try:
            target = Path(os.path.relpath(os.path.realpath(root / file),
                                          os.path.realpath(cwd / page_dir))).as_posix()
        except ValueError:  # pragma: no cover - another drive on Windows
            return None
    if target.startswith("/"):
        return None
    # quoted and "./" first: a file named "javascript:alert(1)" stays a path, never becomes a scheme
    quoted = quote(target, safe="/")
    return quoted if quoted.startswith("../") else "./" + quoted.removeprefix("./")


def _location(file: str, line: int, options: dict) -> str:
    shown = f"{_text(file)}:{int(line)}"
    href = _href(file, line, options)
    return f'<a href="{html.escape(href, quote=True)}">{shown}</a>' if href else shown


# -- port space ------------------------------------------------------------------------------------

def _x(port: int, width: float) -> float:
    """Where ``port`` lies on a bar ``width`` wide: each band takes a third."""
    third = width / 3
    for index, (_, start, end) in enumerate(BANDS):
        if port <= end:
            return third * index + third * (port - start) / (end - start + 1)
    return width


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _ports(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}\u2013{end}"


def _reached(exposures: list[dict]) -> dict[str, list[tuple[int, int]]]:
    """Per scope, the merged ports that allowed inbound exposures reach."""
    spans: dict[str, list[tuple[int, int]]] = {scope: [] for scope in SCOPES}
    for e in exposures:
        if e["action"] == "allow" and e["direction"] == "ingress":
            spans.setdefault(e["scope"], []).append(tuple(e["port_range"]))
    return {scope: _merge(ranges) for scope, ranges in spans.items()}


def _port_space(exposures: list[dict]) -> str:
    reached = _reached(exposures)
    label_w, bar_w, row_h = 140, 600, 26
    height = row_h * len(SCOPES) + 30
    parts = [f'<svg class="space" viewBox="0 0 {label_w + bar_w + 10} {height}" role="img" '
             f'aria-labelledby="space-title space-desc">',
             '<title id="space-title">Ports each scope reaches</title>',
             '<desc id="space-desc">Three bands of equal width: well-known ports 0 to 1023, registered '
             '1024 to 49151, ephemeral 49152 to 65535. The ports are listed as text below.</desc>']
    for index, (name, start, _end) in enumerate(BANDS):
        x = label_w + bar_w / 3 * index
        parts.append(f'<rect class="band band-{index}" x="{x:.1f}" y="0" width="{bar_w / 3:.1f}" '
                     f'height="{row_h * len(SCOPES)}"/>')
        parts.append(f'<text class="tick" x="{x + 3:.1f}" y="{row_h * len(SCOPES) + 14}">{start}</text>')
        parts.append(f'<text class="tick band-name" x="{x + bar_w / 6:.1f}" y="{row_h * len(SCOPES) + 26}" '
                     f'text-anchor="middle">{name}</text>')
    parts.append(f'<text class="tick" x="{label_w + bar_w:.1f}" y="{row_h * len(SCOPES) + 14}" '
                 f'text-anchor="end">65535</text>')
    for row, scope in enumerate(SCOPES):
        y = row * row_h
        spans = reached.get(scope, [])
        count = sum(b - a + 1 for a, b in spans)
        parts.append(f'<text class="scope-name" x="0" y="{y + 17}">{SCOPE_LABELS[scope]}</text>')
        parts.append(f'<rect class="track" x="{label_w}" y="{y + 5}" width="{bar_w}" height="{row_h - 10}"/>')
        for start, end in spans:
            x0, x1 = _x(start, bar_w), _x(end + 1, bar_w)
            parts.append(f'<rect class="reach scope-{scope}" x="{label_w + x0:.2f}" y="{y + 3}" '
                         f'width="{max(x1 - x0, 2):.2f}" height="{row_h - 6}">'
                         f'<title>{SCOPE_LABELS[scope]}: {_ports(start, end)}</title></rect>')
        if not spans:
            parts.append(f'<text class="none" x="{label_w + 6}" y="{y + 17}">no ports</text>')
        elif count == 65536 or (count == 65535 and spans[0][0] == 1):
            parts.append(f'<text class="all" x="{label_w + bar_w / 2:.1f}" y="{y + 17}" text-anchor="middle">'
                         f'ALL PORTS</text>')
    parts.append("</svg>")
    listing = ["<dl class=\"space-list\">"]
    for scope in SCOPES:
        spans = reached.get(scope, [])
        count = sum(b - a + 1 for a, b in spans)
        shown = ", ".join(_ports(a, b) for a, b in spans[:40]) + (f" and {len(spans) - 40} more ranges"
                                                                     if len(spans) > 40 else "")
        listing.append(f'<dt class="scope-{scope}">{SCOPE_LABELS[scope]}</dt>'
                       f'<dd>{"no ports" if not spans else f"{count:,} ports: {shown}"}</dd>')
    listing.append("</dl>")
    return "\n".join(parts) + "\n" + "".join(listing)


def _mini_bar(start: int, end: int) -> str:
    """A small drawing of a port range on the three-band scale (ranges only)."""
    if start == end:
        return ""
    x0, x1 = _x(start, 60), _x(end + 1, 60)
    return (f'<svg class="mini" viewBox="0 0 60 6" aria-hidden="true"><rect class="track" width="60" height="6"/>'
            f'<rect class="fill" x="{x0:.2f}" width="{max(x1 - x0, 1):.2f}" height="6"/></svg>')


# -- rows ------------------------------------------------------------------------------------------

def _state(e: dict) -> str:
    if e.get("severity") in SEVERITIES:
        return e["severity"]
    status = e.get("status")
    return status if status in ("suppressed", "accepted") else "none"


def _state_rank(state: str) -> int:
    return {"suppressed": -1, "accepted": -1, "none": -2}.get(state, _RANK.get(state, -2))


def _badge(state: str) -> str:
    label = state if state != "none" else "no finding"
    return f'<span class="sev sev-{state}">{label}</span>'


def _finding(f: dict) -> str:
    status = f.get("status", "open")
    head = f'<b>{_text(f.get("rule_id"))}</b> {_text(f.get("rule_name"))}'
    if status != "open":
        reason = f.get("reason")
        why = f": {_text(reason)}" if reason else (" (no reason given)" if status == "suppressed" else "")
        note = f'<span class="status">{status} ({_text(f.get("severity"))}){why}</span> '
        return f'<li class="judged {status}">{note}{head}: {_text(f.get("message"))}</li>'
    return (f'<li class="open"><span class="sev sev-{_text(f.get("severity"))}">{_text(f.get("severity"))}</span> '
            f'{head}: {_text(f.get("message"))}</li>')


def _row(e: dict, options: dict) -> str:
    start, end = e["port_range"]
    target = e.get("target_port_range")
    ports = f'<span class="ports">{_ports(start, end)}</span>'
    if start == 0 and end == 65535 or (start == 1 and end == 65535):
        ports = f'<span class="ports all-ports">all ports ({_ports(start, end)})</span>'
    elif start != end:
        ports += f' <small>{end - start + 1:,} ports</small>'
    if target:
        ports += f' <small>\u2192 container {_ports(*target)}</small>'
    ports += _mini_bar(start, end)
    sources = ", ".join(_text(s) for s in e.get("sources", ())) or "\u2014"
    if e.get("unresolved"):
        sources += ' <small class="unresolved">unresolved: ' + ", ".join(_text(u) for u in e["unresolved"]) \
                   + "</small>"
    state = _state(e)
    findings = e.get("findings") or []
    finding_cell = ("<ul>" + "".join(_finding(f) for f in findings) + "</ul>") if findings else ""
    action = _text(e["action"]) + ("" if e["direction"] == "ingress" else f" {_text(e['direction'])}")
    search = " ".join(str(v) for v in (
        e.get("resource"), e.get("service"), e.get("file"), e.get("protocol"), _ports(start, end),
        " ".join(e.get("sources", ())), " ".join(f"{f.get('rule_id')} {f.get('rule_name')} {f.get('message')} "
                                                 f"{f.get('reason') or ''} {f.get('status')}" for f in findings),
        e.get("kind"), e.get("action"))).lower()
    location_key = f"{e['file']}\x00{int(e['line']):09d}"
    return (
        f'<tr class="exposure" data-scope="{_text(e["scope"])}" data-severity="{state}" '
        f'data-format="{_text(e["kind"])}" data-search="{_text(search)}">'
        f'<td data-label="Service" data-v="{_text(e.get("service") or "")}">{_text(e.get("service")) or DASH}</td>'
        f'<td data-label="Action" data-v="{action}"><span class="action-{_text(e["action"])}">{action}</span></td>'
        f'<td data-label="Protocol" data-v="{_text(e["protocol"])}">{_text(e["protocol"])}</td>'
        f'<td data-label="Ports" data-v="{start * 100000 + end}">{ports}</td>'
        f'<td data-label="Sources" data-v="{_text(" ".join(e.get("sources", ())))}">{sources}</td>'
        f'<td data-label="Severity" data-v="{_state_rank(state)}">{_badge(state)}</td>'
        f'<td data-label="Finding" class="finding">{finding_cell}</td>'
        f'<td data-label="Format" data-v="{_text(e["kind"])}">{_text(e["kind"])}</td>'
        f'<td data-label="Location" data-v="{_text(location_key)}">{_location(e["file"], e["line"], options)}</td>'
        "</tr>")


COLUMNS = ("Service", "Action", "Protocol", "Ports", "Sources", "Severity", "Finding", "Format", "Location")
SORTABLE = frozenset(COLUMNS) - {"Finding"}


def _groups(rows: list[dict]) -> list[tuple[str, str, list[dict]]]:
    """(resource, kind, rows), riskiest group first, rows in file order."""
    grouped: dict[tuple[str, str], list[dict]] = {}
    for e in rows:
        grouped.setdefault((e.get("resource") or "", e["kind"]), []).append(e)
    order = sorted(grouped.items(), key=lambda item: (-max(_state_rank(_state(e)) for e in item[1]), item[0]))
    return [(resource, kind, sorted(items, key=lambda e: (e["file"], e["line"]))) for (resource, kind), items in order]


def _scope_section(scope: str, rows: list[dict], options: dict) -> str:
    open_ = sum(1 for e in rows if e.get("severity") in SEVERITIES)
    head = "".join(f'<th scope="col" data-col="{i}"{" data-sortable" if c in SORTABLE else ""}>{c}</th>'
                   for i, c in enumerate(COLUMNS))
    bodies = []
    for resource, kind, items in _groups(rows):
        bodies.append(f'<tbody><tr class="group"><th colspan="{len(COLUMNS)}" scope="rowgroup">'
                      f'{_text(resource) or "(unnamed)"} <small>{_text(kind)} \u00b7 '
                      f'{len(items)} exposure{"s" if len(items) != 1 else ""}</small></th></tr>'
                      + "".join(_row(e, options) for e in items) + "</tbody>")
    return (f'<section class="scope scope-{scope}" id="scope-{scope}" data-scope="{scope}">'
            f'<details open><summary><h3>{SCOPE_LABELS[scope]} <small>{len(rows)} exposure'
            f'{"s" if len(rows) != 1 else ""}, {open_} with open findings</small></h3></summary>'
            f'<div class="table-wrap"><table><caption class="visually-hidden">{SCOPE_LABELS[scope]} exposures'
            f'</caption><thead><tr>{head}</tr></thead>{"".join(bodies)}</table></div></details></section>')


# -- summary ---------------------------------------------------------------------------------------

def _cards(exposures: list[dict]) -> str:
    by_scope = {scope: [e for e in exposures if e["scope"] == scope] for scope in SCOPES}
    cards = []
    for scope in SCOPES:
        rows = by_scope[scope]
        counts = {s: sum(1 for e in rows if e.get("severity") == s) for s in SEVERITIES}
        detail = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no open findings"
        cards.append(f'<li class="card scope-{scope}"><a href="#scope-{scope}"><span class="n">{len(rows)}</span>'
                     f' <span class="what">{SCOPE_LABELS[scope]}</span></a><span class="detail">{detail}</span></li>')
    return f'<ul class="cards" aria-label="Exposures by scope">{"".join(cards)}</ul>'


def _matrix(exposures: list[dict]) -> str:
    by_scope = {scope: [e for e in exposures if e["scope"] == scope] for scope in SCOPES}
    table = ['<div class="scroll"><table class="matrix"><caption>Exposures by scope and highest open finding</caption><thead><tr>'
             '<th scope="col">Scope</th>' + "".join(f'<th scope="col">{s}</th>' for s in STATES) +
             '<th scope="col">Total</th></tr></thead><tbody>']
    for scope in SCOPES:
        rows = by_scope[scope]
        cells = "".join(f'<td>{sum(1 for e in rows if _state(e) == s) or ""}</td>' for s in STATES)
        table.append(f'<tr><th scope="row">{SCOPE_LABELS[scope]}</th>{cells}<td>{len(rows)}</td></tr>')
    totals = "".join(f'<td>{sum(1 for e in exposures if _state(e) == s)}</td>' for s in STATES)
    table.append(f'<tr class="total"><th scope="row">All</th>{totals}<td>{len(exposures)}</td></tr></tbody></table></div>')
    return "".join(table)


def _alerts(exposures: list[dict], options: dict) -> str:
    internet = [e for e in exposures if e["scope"] == "internet" and e["action"] == "allow"
                and e["direction"] == "ingress"]
    everything = [e for e in internet if e["port_range"][0] <= 1 and e["port_range"][1] == 65535]
    risky = sorted((e for e in internet if e.get("severity") in SEVERITIES),
                   key=lambda e: (-_RANK[e["severity"]], e["file"], e["line"]))
    out = []
    if everything:
        where = ", ".join(f'{_text(e.get("resource"))} ({_location(e["file"], e["line"], options)})'
                          for e in everything[:5]) + (f" and {len(everything) - 5} more" if len(everything) > 5 else "")
        out.append(f'<p class="alert all-open"><strong>Every port is open to the internet</strong> in '
                   f'{len(everything)} place{"s" if len(everything) != 1 else ""}: {where}.</p>')
    if risky:
        items = "".join(
            f'<li>{_badge(e["severity"])} <b>{_ports(*e["port_range"])}/{_text(e["protocol"])}</b> '
            f'{_text(e.get("service"))} \u2014 {_text(e.get("resource"))} '
            f'({_location(e["file"], e["line"], options)})</li>' for e in risky[:TOP_RISKS])
        more = f'<p><a href="#scope-internet">{len(risky) - TOP_RISKS} more in the map</a></p>' \
            if len(risky) > TOP_RISKS else ""
        out.append(f'<section class="risks" aria-labelledby="risks-h"><h2 id="risks-h">Open to the internet, with '
                   f'findings ({len(risky)})</h2><ol>{items}</ol>{more}</section>')
    elif internet:
        out.append(f'<p class="alert calm">{len(internet)} exposures are reachable from the internet; none has an '
                   f'open finding.</p>')
    else:
        out.append('<p class="alert calm">Nothing is reachable from the internet.</p>')
    return "".join(out)


def _filters(exposures: list[dict]) -> str:
    def boxes(name: str, values, labels=None) -> str:
        return "".join(f'<label><input type="checkbox" name="{name}" value="{_text(v)}" checked> '
                       f'{_text((labels or {}).get(v, v))}</label>' for v in values)

    formats = sorted({e["kind"] for e in exposures})
    return (
        '<form id="filters" class="filters" hidden aria-label="Filter the map">'
        f'<fieldset><legend>Scope</legend>{boxes("scope", SCOPES, SCOPE_LABELS)}</fieldset>'
        f'<fieldset><legend>Severity</legend>{boxes("severity", STATES, {"none": "no finding"})}</fieldset>'
        f'<fieldset><legend>Format</legend>{boxes("format", formats)}</fieldset>'
        '<label class="search">Search <input type="search" name="q" placeholder="service, port, file, source\u2026">'
        '</label><button type="reset">Show all</button>'
        '<output id="shown" aria-live="polite"></output></form>')


def _errors(doc: dict, options: dict) -> str:
    errors = doc.get("errors") or []
    if not errors:
        return ""
    items = "".join(f'<li>{_location(e["file"], e["line"], options)}: {_text(e["message"])}</li>' for e in errors)
    return (f'<section class="errors" aria-labelledby="errors-h"><h2 id="errors-h">Input errors ({len(errors)}): '
            f'the map is incomplete</h2><ul>{items}</ul></section>')


def _other(doc: dict, options: dict) -> str:
    other = doc.get("other_findings") or []
    if not other:
        return ""
    items = "".join(
        f'<li>{_location(f["file"], f["line"], options)} {_text(f.get("resource"))}: <ul class="plain">'
        f'{_finding(f)}</ul></li>' for f in other)
    return (f'<section class="other" aria-labelledby="other-h"><h2 id="other-h">Findings on rules that are not in '
            f'the map ({len(other)})</h2><p>For example an allow that an earlier deny hides completely.</p>'
            f'<ul>{items}</ul></section>')


def render_document(doc: dict, options: dict) -> str:
    """The page for an inventory document (``inventory_document`` or a saved, validated JSON file)."""
    exposures = doc.get("exposures") or []
    css, js = _asset("page.css"), _asset("page.js")
    csp = (f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    tool = doc.get("tool") or {}
    summary = doc.get("summary") or {}
    files = summary.get("files_scanned")
    sections = "".join(_scope_section(scope, [e for e in exposures if e["scope"] == scope], options)
                       for scope in SCOPES if any(e["scope"] == scope for e in exposures))
    title = options.get("title") or "Port map"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="portlint {_text(tool.get("version", __version__))}">
<title>{_text(title)} \u2014 portlint</title>
<style>{css}</style>
</head>
<body>
<header><h1>{_text(title)}</h1>
<p class="meta">{len(exposures)} exposure{"s" if len(exposures) != 1 else ""}{f" in {int(files)} files" if isinstance(files, int) else ""}, drawn by portlint {_text(tool.get("version", __version__))}.
Who can reach which ports, from the checked configuration.</p></header>
<main>
{_cards(exposures)}
{_alerts(exposures, options)}
{_errors(doc, options)}
<section class="summary" aria-labelledby="summary-h"><h2 id="summary-h">At a glance</h2>
{_matrix(exposures)}
<figure class="port-space"><figcaption>Port space reached from each scope (allow rules, inbound)</figcaption>
{_port_space(exposures)}</figure></section>
<section class="map" aria-labelledby="map-h"><h2 id="map-h">The map</h2>
<noscript><p>Filtering and sorting need JavaScript; every exposure is listed below.</p></noscript>
{_filters(exposures)}
{sections or '<p>No exposures were found.</p>'}
</section>
{_other(doc, options)}
</main>
<footer><p>Severity is the highest open finding; suppressed and accepted findings are shown with their reasons.
Run <code>portlint explain CODE</code> for what a rule means.</p></footer>
<script>{js}</script>
</body>
</html>
"""
