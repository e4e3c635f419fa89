"""Rules written as YAML (``--rules-dir`` or ``rules-dir:`` in the config), turned into Rule classes.

A rule file holds one rule or ``rules: [...]``; each is validated against
``portlint/schemas/declarative-rule.schema.json`` and an error names the file,
the line and the path of the offending value.

Rule files come from the checked repository as often as not, so they are data
only: read through ``portlint.inputs.read_input`` (regular files, size limit,
no link out of the rules folder), and ``message`` is a template with a fixed
set of ``{placeholders}`` substituted by one linear scan (``{{``/``}}`` for
literal braces); no ``str.format``, so no attribute access and no widths.
"""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Callable, Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.limits import LimitExceeded
from portlint.formatters.escape import visible
from portlint.model import Exposure, PortRange, Severity


class RuleFileError(Exception):
    """A declarative rule file that is not valid; ``str()`` is ``file:line: message``."""

    def __init__(self, file: str, line: int, message: str):
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


def _port_range(item: Any) -> PortRange:
    """A ``match.ports`` item (``22``, ``"8000-8100"``); ValueError when it is no valid range."""
    start, _, end = str(item).strip().partition("-")
    if not start.isdigit() or (end and not end.isdigit()):
        raise ValueError(f"{visible(item)!s} is not a port or port range")
    low, high = int(start), int(end or start)
    if high > 65535:
        raise ValueError(f"{visible(item)} is not a port range: ports go from 0 to 65535")
    if low > high:
        raise ValueError(f"{visible(item)} is not a port range: it must be written low-high")
    return PortRange(low, high)


#: what ``{name}`` in a message stands for
PLACEHOLDERS: dict[str, Callable[[Exposure], str]] = {
    "port": lambda e: str(e.service_ports),
    "ports": lambda e: str(e.service_ports),
    "protocol": lambda e: e.protocol,
    "resource": lambda e: e.resource,
    "scope": lambda e: e.scope,
    "sources": lambda e: ", ".join(e.sources[:4]),
    "image": lambda e: e.image or "-",
    "kind": lambda e: e.kind,
    "file": lambda e: e.location.file,
    "line": lambda e: str(e.location.line),
    "direction": lambda e: e.direction,
}


_TEXT_RUN = re.compile(r"[^{}]*")  # one character class: linear


def compile_message(template: str) -> tuple[tuple[bool, str], ...]:
    """``template`` as (is_placeholder, text) parts; ValueError for an unknown or unclosed ``{``."""
    parts: list[tuple[bool, str]] = []
    literal: list[str] = []
    i, n = 0, len(template)
    while i < n:
        end = _TEXT_RUN.match(template, i).end()
        if end > i:
            literal.append(template[i:end])
            i = end
            continue
        if template.startswith(("{{", "}}"), i):
            literal.append(template[i])
            i += 2
        elif template[i] == "}":  # a lone closing brace is just text
            literal.append("}")
            i += 1
        else:
            close = template.find("}", i + 1)
            if close < 0:
                raise ValueError(f"'{{' at column {i + 1} is never closed (write {{{{ for a literal brace)")
            name = template[i + 1:close]
            if name not in PLACEHOLDERS:
                shown = visible(name if len(name) <= 40 else name[:40] + "...")
                raise ValueError(f"unknown placeholder {{{shown}}}; a message may use "
                                 + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS) + " (no format specs)")
            if literal:
                parts.append((False, "".join(literal)))
                literal = []
            parts.append((True, name))
            i = close + 1
    if literal:
        parts.append((False, "".join(literal)))
    return tuple(parts)


def render_message(parts: tuple[tuple[bool, str], ...], e: Exposure) -> str:
    return "".join(PLACEHOLDERS[text](e) if is_name else text for is_name, text in parts)


def make_rule(spec: dict, origin: str) -> type[Rule]:
    """A Rule class that applies one declarative spec."""
    match = spec["match"]
    ports = [_port_range(p) for p in match.get("ports", [])]
    message = compile_message(spec["message"])
    protocol = match.get("protocol", "any")
    scopes = frozenset(match.get("scope", ["internet"]))
    direction = match.get("direction", "ingress")
    kinds = frozenset(match.get("kinds", []))
    image, resource = match.get("image"), match.get("resource")
    min_ports = match.get("min_ports")

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if e.action != "allow" or e.scope not in scopes:
            return
        if direction != "any" and e.direction != direction:
            return
        if kinds and e.kind not in kinds:
            return
        if protocol not in ("any", "all") and e.protocol not in (protocol, "all"):
            return
        if ports and not any(r.overlaps(e.service_ports) for r in ports):
            return
        if min_ports and e.service_ports.size < min_ports:
            return
        if image and not fnmatch(e.image.lower(), image.lower()):
            return
        if resource and not fnmatch(e.resource, resource):
            return
        yield Hit(e, render_message(message, e))

    doc = [spec["summary"], "", "## What it does", spec["summary"], "", "## Why is this bad?",
           spec.get("why", spec["summary"])]
    examples = spec.get("examples", {})
    for title, key in (("Example", "fail"), ("Use instead", "pass")):
        for name, text in examples.get(key, {}).items():
            lang = "hcl" if name.endswith(".tf") else "yaml"
            doc += ["", f"## {title}", f"```{lang}", text.rstrip("\n"), "```"]
    doc += ["", "## References"] + [f"- {r}" for r in spec.get("references", [f"Declared in {origin}"])]
    return type(
        f"Declarative_{spec['code']}", (Rule,),
        {"code": spec["code"], "name": spec["name"], "severity": Severity.parse(spec["severity"]),
         "summary": spec["summary"], "__doc__": "\n".join(doc), "check": check,
         "origin": origin, "examples": examples},
    )


def _short(text: str, limit: int = 300) -> str:
    text = visible(text)
    return text if len(text) <= limit else text[:limit] + "..."


def load_rule_file(path: Path, shown: str, root: Path | None = None) -> list[type[Rule]]:
    """The rules of one file; RuleFileError (file, line, what was expected) for anything wrong.

    ``root``: the folder the file must resolve into (default: its own folder), so a link in a
    rules folder cannot make portlint read a file elsewhere.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    from portlint.inputs import ReadRefused, read_input
    from portlint.schemas import json_path, load_schema
    from portlint.yamlpos import YAMLLoadError, load_one, span_at

    try:
        text = read_input(path, root if root is not None else path.parent)
        if text is None:
            raise RuleFileError(shown, 1, "cannot read rule file: it does not exist")
        doc = load_one(text)
    except ReadRefused as exc:
        raise RuleFileError(shown, exc.line, f"cannot read rule file: {exc.reason}") from None
    except YAMLLoadError as exc:
        raise RuleFileError(shown, exc.line, _short(exc.message)) from None
    except LimitExceeded as exc:
        raise RuleFileError(shown, exc.line or 1, exc.message) from None
    validator = Draft202012Validator(load_schema("declarative-rule"))
    best = best_match(validator.iter_errors(doc), key=lambda e: len(list(e.absolute_path)))
    if best is not None:
        while best.context:  # anyOf: explain the branch that got furthest
            best = max(best.context, key=lambda e: len(list(e.absolute_path)))
        where = list(best.absolute_path)
        raise RuleFileError(shown, span_at(doc, where).line, f"{json_path(where)}: {_short(best.message)}")
    many = "rules" in doc
    specs = doc["rules"] if many else [doc]
    rules = []
    for index, spec in enumerate(specs):
        prefix = ["rules", index] if many else []
        for n, item in enumerate(spec["match"].get("ports", [])):
            try:
                _port_range(item)
            except ValueError as exc:
                where = prefix + ["match", "ports", n]
                raise RuleFileError(shown, span_at(doc, where).line, f"{json_path(where)}: {exc}") from None
        try:
            compile_message(spec["message"])
        except ValueError as exc:
            where = prefix + ["message"]
            raise RuleFileError(shown, span_at(doc, where).line, f"{json_path(where)}: {exc}") from None
        try:
            rules.append(make_rule(dict(spec), shown))
        except (ValueError, TypeError, KeyError) as exc:  # the schema should have caught it
            raise RuleFileError(shown, span_at(doc, prefix).line, f"invalid rule: {_short(str(exc))}") from None
    return rules


def load_rules_dir(directory: Path, display, root: Path | None = None) -> list[type[Rule]]:
    """Every ``*.yaml``/``*.yml`` rule file in a folder, in name order.

    Only regular files are read (a FIFO or device is refused, not waited on); a file must
    resolve inside ``root`` (default: the folder itself).
    """
    if not directory.is_dir():
        raise RuleFileError(display(directory), 1, "rules directory does not exist")
    rules: list[type[Rule]] = []
    for path in sorted(directory.iterdir()):
        if path.suffix in (".yaml", ".yml") and not path.is_dir():
            rules.extend(load_rule_file(path, display(path), root if root is not None else directory))
    return rules
