"""Rules written as YAML (``--rules-dir`` or ``rules-dir:`` in the config), turned into Rule classes.

A rule file holds one rule or ``rules: [...]``; each is validated against
``portlint/schemas/declarative-rule.schema.json`` and an error names the file,
the line and the path of the offending value.
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.model import Exposure, PortRange, Severity


class RuleFileError(Exception):
    """A declarative rule file that is not valid; ``str()`` is ``file:line: message``."""

    def __init__(self, file: str, line: int, message: str):
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


def _port_range(item: Any) -> PortRange:
    start, _, end = str(item).partition("-")
    return PortRange(int(start), int(end or start))


def _format(template: str, e: Exposure) -> str:
    values = {
        "ports": str(e.service_ports), "port": str(e.service_ports), "protocol": e.protocol,
        "resource": e.resource, "scope": e.scope, "sources": ", ".join(e.sources[:4]),
        "image": e.image or "-", "kind": e.kind, "file": e.location.file,
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def make_rule(spec: dict, origin: str) -> type[Rule]:
    """A Rule class that applies one declarative spec."""
    match = spec["match"]
    ports = [_port_range(p) for p in match.get("ports", [])]
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
        yield Hit(e, _format(spec["message"], e))

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


def load_rule_file(path: Path, shown: str) -> list[type[Rule]]:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    from portlint.schemas import json_path, load_schema
    from portlint.yamlpos import YAMLLoadError, load_one, span_at

    try:
        doc = load_one(path.read_text(encoding="utf-8"))
    except YAMLLoadError as exc:
        raise RuleFileError(shown, exc.line, exc.message) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(shown, 1, f"cannot read rule file: {exc}") from None
    validator = Draft202012Validator(load_schema("declarative-rule"))
    best = best_match(validator.iter_errors(doc), key=lambda e: len(list(e.absolute_path)))
    if best is not None:
        while best.context:  # anyOf: explain the branch that got furthest
            best = max(best.context, key=lambda e: len(list(e.absolute_path)))
        where = list(best.absolute_path)
        raise RuleFileError(shown, span_at(doc, where).line, f"{json_path(where)}: {best.message}")
    specs = doc["rules"] if "rules" in doc else [doc]
    return [make_rule(dict(spec), shown) for spec in specs]


def load_rules_dir(directory: Path, display) -> list[type[Rule]]:
    """Every ``*.yaml``/``*.yml`` rule file in a folder, in name order."""
    if not directory.is_dir():
        raise RuleFileError(display(directory), 1, "rules directory does not exist")
    rules: list[type[Rule]] = []
    for path in sorted(directory.iterdir()):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            rules.extend(load_rule_file(path, display(path)))
    return rules
