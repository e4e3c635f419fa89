"""Terraform plan and state JSON (``terraform show -json``): the values Terraform has computed.

``planned_values`` (a plan) or ``values`` (a state) hold every resource with
its final attribute values, modules included, so nothing needs resolving:
the same adapters as for ``.tf`` files read them, and findings point at the
resource object or the ``ingress``/``allow``/``security_rule`` object in the
JSON file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from portlint.model import InputError, ParseOutcome
from portlint.parsers import ParseContext, SourceFile
from portlint.yamlpos import LocatedDict, LocatedList, Span

_SNIFF = re.compile(r'"(planned_values|format_version)"\s*:')


class PlanView:
    """A resource (or nested block) of plan JSON, with the interface the adapters read."""

    def __init__(self, values: dict, span: Span, file: str, address: str):
        self.values, self.span, self.file, self.address = values, span, file, address
        self.unresolved: frozenset[str] = frozenset()

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name, default)
        return default if value is None else value

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None

    def attribute(self, name: str) -> Any:
        return None

    def reference(self, name: str) -> str | None:
        return None

    def items(self, name: str) -> list:
        return []

    def blocks(self, kind: str) -> list["PlanView"]:
        value = self.values.get(kind)
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            return []
        spans = value.spans if isinstance(value, LocatedList) else [self.span] * len(value)
        return [PlanView(item, getattr(item, "span", s), self.file, self.address)
                for item, s in zip(value, spans) if isinstance(item, dict)]


def _resources(module: Any) -> Iterator[LocatedDict]:
    if not isinstance(module, dict):
        return
    for resource in module.get("resources") or []:
        if isinstance(resource, dict):
            yield resource
    for child in module.get("child_modules") or []:
        yield from _resources(child)


class TerraformPlanParser:
    name = "terraform-plan"

    def claims(self, path: Path, text: str | None) -> bool:
        if text is None or path.suffix.lower() != ".json" or path.name.endswith(".tf.json"):
            return False
        head = text[:4096]
        return _SNIFF.search(head) is not None and '"terraform_version"' in text[:8192]

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        for source in files:
            yield parse_plan(source)


def parse_plan(source: SourceFile) -> ParseOutcome:
    from portlint.jsonpos import JSONLoadError, loads_located
    from portlint.parsers.terraform.resources import ADAPTERS

    file = source.display
    try:
        doc = loads_located(source.text)
    except JSONLoadError as exc:
        return ParseOutcome(file, errors=(InputError(file, exc.line, f"invalid JSON: {exc.message}", exc.column),))
    root = None
    if isinstance(doc, dict):
        for key in ("planned_values", "values"):
            if isinstance(doc.get(key), dict):
                root = doc[key].get("root_module")
                break
    if root is None:
        return ParseOutcome(file, errors=(InputError(file, 1, "no planned_values.root_module in this plan JSON"),))
    exposures = []
    for resource in _resources(root):
        kind = resource.get("type")
        values = resource.get("values")
        if kind not in ADAPTERS or not isinstance(values, dict) or resource.get("mode", "managed") != "managed":
            continue
        view = PlanView(values, resource.span, file, str(resource.get("address", kind)))
        exposures.extend(ADAPTERS[kind](view))  # type: ignore[arg-type]
    return ParseOutcome(file, tuple(exposures))
