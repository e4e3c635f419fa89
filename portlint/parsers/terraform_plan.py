"""Terraform plan and state JSON (``terraform show -json``): the values Terraform has computed.

``planned_values`` (a plan) or ``values`` (a state) hold every resource with
its final attribute values, modules included, so nothing needs resolving:
the same adapters as for ``.tf`` files read them, and findings point at the
resource object or the ``ingress``/``allow``/``security_rule`` object in the
JSON file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from portlint import limits
from portlint.model import InputError, ParseOutcome
from portlint.parsers import ParseContext, SourceFile
from portlint.parsers.units import Units, failure_message, type_name
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


def _resources(root: Any, units: Units) -> Iterator[LocatedDict]:
    """Every resource of the root module and its child modules (iteratively: modules may nest deeply)."""
    stack = [root]
    while stack:
        module = stack.pop()
        if not isinstance(module, dict):
            continue
        for key in ("resources", "child_modules"):
            value = module.get(key)
            if value is not None and not isinstance(value, list):
                span = module.spans.get(key, module.span) if isinstance(module, LocatedDict) else Span(1, 1, 1)
                units.error(span.line, f"{key} must be a list, got {type_name(value)}", span.column)
        resources = module.get("resources")
        for resource in resources if isinstance(resources, list) else []:
            if isinstance(resource, dict):
                yield resource
        children = module.get("child_modules")
        if isinstance(children, list):
            stack.extend(reversed(children))


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
    except json.JSONDecodeError as exc:
        return ParseOutcome(file, errors=(InputError(file, exc.lineno, f"invalid JSON: {exc.msg}", exc.colno),))
    except (ValueError, RecursionError, limits.LimitExceeded) as exc:
        line = getattr(exc, "line", 1) or 1
        return ParseOutcome(file, errors=(InputError(file, line, f"invalid JSON: {failure_message(exc)}"),))
    root = None
    where = getattr(doc, "span", Span(1, 1, 1))
    if isinstance(doc, dict):
        for key in ("planned_values", "values"):
            if key in doc:
                where = doc.spans.get(key, where)
                if isinstance(doc[key], dict):
                    root = doc[key].get("root_module")
                    where = doc[key].spans.get("root_module", where)
                break
    if not isinstance(root, dict):
        message = "no planned_values.root_module in this plan JSON" if root is None else \
            f"root_module must be a mapping, got {type_name(root)}"
        return ParseOutcome(file, errors=(InputError(file, where.line, message, where.column),))
    units = Units(file)
    for resource in _resources(root, units):
        kind = resource.get("type")
        values = resource.get("values")
        if not isinstance(kind, str) or kind not in ADAPTERS or resource.get("mode", "managed") != "managed":
            continue
        span = resource.span
        address = resource.get("address", kind)
        address = address if isinstance(address, str) else kind
        if not isinstance(values, dict):
            units.error(span.line, f"{address}: values must be a mapping, got {type_name(values)}", span.column)
            continue
        view = PlanView(values, span, file, address)
        if not units.run(span.line, span.column, address, lambda: list(ADAPTERS[kind](view))):  # type: ignore[arg-type]
            break
    return units.outcome()
