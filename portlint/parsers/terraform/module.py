"""A Terraform module evaluated as Terraform would: variables, locals, count, for_each,
dynamic blocks and calls of local modules.

``Module`` holds one module directory with its input values; ``BlockView`` is
one instance of a block (a resource instance, an ``ingress`` block, one
iteration of a ``dynamic`` block) whose attributes are evaluated on demand, so
attributes no adapter reads never produce unresolved noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from portlint.parsers.terraform.evaluate import (
    Namespace, Scope, as_tuple_items, evaluate, reference_text,
)
from portlint.parsers.terraform.hcl import Attribute, Block, Body
from portlint import limits
from portlint.limits import LimitExceeded
from portlint.model import InputError, Step
from portlint.parsers.terraform.values import (
    TerraformError, Unknown, charge, kind_of, refs_in, to_list, to_number, to_str,
)
from portlint.yamlpos import Span


@dataclass
class Unit:
    """One file of a module."""

    display: str
    body: Body


@dataclass
class Located:
    """A block or attribute with the file it was written in."""

    item: Any
    unit: Unit


class BlockView:
    """One instance of a block, with its scope; attributes are evaluated lazily."""

    def __init__(self, body: Body, scope: Scope, span: Span, file: str, address: str,
                 unresolved: frozenset[str] = frozenset(), label: str = "",
                 problems: list[InputError] | None = None):
        self.body, self.scope, self.span, self.file = body, scope, span, file
        self.address, self.unresolved, self.label = address, unresolved, label
        self._cache: dict[str, Any] = {}
        #: input errors found while reading this block (shared by the whole module instance)
        self.problems: list[InputError] = problems if problems is not None else []

    def problem(self, exc: BaseException, span: Span, what: str = "") -> None:
        """Record why a part of this block (at ``span``) could not be checked."""
        self.problems.append(describe_failure(exc, self.file, span, what))

    def has(self, name: str) -> bool:
        return name in self.body.attributes

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self.body.attributes:
            return default
        if name not in self._cache:
            self._cache[name] = evaluate(self.body.attributes[name].expr, self.scope)
        return self._cache[name]

    def attribute(self, name: str) -> Attribute | None:
        return self.body.attributes.get(name)

    def reference(self, name: str) -> str | None:
        attr = self.body.attributes.get(name)
        return reference_text(attr.expr) if attr else None

    def items(self, name: str) -> list[tuple[Any, Span]]:
        """An attribute holding a list of objects (attributes-as-blocks), item by item."""
        attr = self.body.attributes.get(name)
        if attr is None:
            return []
        elements = as_tuple_items(attr.expr)
        if elements is not None:
            found = []
            for element in elements:  # one bad element costs only itself
                try:
                    found.append((evaluate(element, self.scope), element.span))
                except (TerraformError, LimitExceeded) as exc:
                    self.problem(exc, element.span)
            return found
        value = self.get(name)
        if isinstance(value, (list, dict)):
            return [(v, attr.span) for v in to_list(value)]
        return [(value, attr.span)]

    def blocks(self, kind: str) -> list["BlockView"]:
        """Nested blocks of a kind, static ones and ``dynamic`` expansions, in file order."""
        views: list[BlockView] = []
        for block in self.body.blocks:
            if block.type == kind:
                views.append(BlockView(block.body, self.scope, block.span, self.file, self.address,
                                       self.unresolved, problems=self.problems))
            elif block.type == "dynamic" and block.labels and block.labels[0] == kind:
                try:
                    views.extend(self._dynamic(block, kind))
                except (TerraformError, LimitExceeded) as exc:
                    self.problem(exc, block.span)
        return views

    def _dynamic(self, block: Block, kind: str) -> Iterator["BlockView"]:
        content = next((b for b in block.body.blocks if b.type == "content"), None)
        if content is None:
            return
        iterator_attr = block.body.attributes.get("iterator")
        named = reference_text(iterator_attr.expr) if iterator_attr else None
        name = named or kind
        if iterator_attr is not None and not (named or "").isidentifier():
            raise TerraformError(f'iterator of dynamic "{kind}" must be a name, such as iterator = rule',
                                 iterator_attr.span.line, iterator_attr.span.column)
        for_each_attr = block.body.attributes.get("for_each")
        collection = evaluate(for_each_attr.expr, self.scope) if for_each_attr else []
        if for_each_attr is not None:
            collection = check_for_each(collection, for_each_attr, f'for_each of dynamic "{kind}"')
        for key, value, refs in _iterations(collection):
            scope = self.scope.child({name: {"key": key, "value": value}})
            yield BlockView(content.body, scope, block.span, self.file, self.address,
                            self.unresolved | refs, problems=self.problems)


def describe_failure(exc: BaseException, file: str, span: Span, what: str = "") -> InputError:
    """An InputError for a failure inside a block: at the failing expression's line when known."""
    if isinstance(exc, (TerraformError, LimitExceeded)):
        line = exc.line or span.line
        column = getattr(exc, "column", 1) if exc.line else span.column
        return InputError(getattr(exc, "file", None) or file, line, exc.message, column or 1)
    from portlint.parsers.terraform.values import EvalError

    text = str(exc) if isinstance(exc, EvalError) else (f"{type(exc).__name__}: {exc}" if str(exc)
                                                        else type(exc).__name__)
    return InputError(file, span.line, f"cannot check {what or 'this block'}: {text}", span.column)


def check_for_each(collection: Any, attr: Attribute, what: str = "for_each") -> Any:
    """The collection to iterate: a map, a set or a list (Unknown or null pass); a single value
    is an input error. A whole resource, data source or module (``aws_security_group.x``,
    ``data.google_compute_network.all``) is a map Terraform knows only after apply: Unknown."""
    if isinstance(collection, Namespace):
        return Unknown({collection.name})
    if not (isinstance(collection, (Unknown, dict, list)) or collection is None):
        raise TerraformError(f"{what} must be a map or a set, got {kind_of(collection)}",
                             attr.span.line, attr.span.column)
    size = len(collection) if isinstance(collection, (list, dict)) else 0
    if size > limits.TF_COLLECTION:
        raise LimitExceeded(f"for_each over {size:,} elements", limits.TF_COLLECTION, "TF_COLLECTION",
                            attr.span.line)
    return collection


def _iterations(collection: Any) -> Iterator[tuple[Any, Any, frozenset[str]]]:
    """(key, value, unresolved refs) for each element of a for_each collection."""
    if isinstance(collection, Unknown):
        yield collection, collection, collection.refs
        return
    if isinstance(collection, dict):  # Terraform walks maps in lexical key order
        for key in sorted(collection):
            value = collection[key]
            yield key, value, frozenset(refs_in(value))
        return
    if collection is None:
        return
    for item in to_list(collection):
        yield item, item, frozenset(refs_in(item))


@dataclass
class ModuleCall:
    """A ``module`` block and its evaluated ``source``."""

    name: str
    block: Block
    unit: Unit
    source: str


@dataclass
class Module:
    """One module directory and the values its variables take in this instance."""

    directory: Path
    units: list[Unit]
    inputs: dict[str, Callable[[], Any]] = field(default_factory=dict)
    address: str = ""
    call: str = ""
    #: where each input was set (a tfvars line, the caller's argument), by variable name
    input_origins: dict[str, tuple[Step, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.variables: dict[str, Located] = {}
        self.locals: dict[str, Located] = {}
        self.resources: dict[str, Located] = {}
        self.resource_blocks: list[Located] = []  # every block, even a duplicate name Terraform would refuse
        self.module_blocks: dict[str, Located] = {}
        for unit in self.units:
            for block in unit.body.blocks:
                if block.type == "variable" and block.labels:
                    self.variables[block.labels[0]] = Located(block, unit)
                elif block.type == "locals":
                    for name, attr in block.body.attributes.items():
                        self.locals[name] = Located(attr, unit)
                elif block.type == "resource" and len(block.labels) == 2:
                    self.resources.setdefault(".".join(block.labels), Located(block, unit))
                    self.resource_blocks.append(Located(block, unit))
                elif block.type == "module" and block.labels:
                    self.module_blocks[block.labels[0]] = Located(block, unit)
        self._values: dict[str, Any] = {}
        self._origins: dict[str, dict[Step, Any]] = {}
        self._busy: set[str] = set()
        self.scope = Scope(self._resolve)
        self.problems: list[InputError] = []

    # -- names -----------------------------------------------------------------

    def _memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key in self._values:
            value = self._values[key]
            if isinstance(value, _Failed):
                raise value.exc
            note_origins(self._origins.get(key))
            return value
        if key in self._busy:  # a cycle: Terraform would refuse it
            return Unknown({key})
        self._busy.add(key)
        try:
            with tracing() as origins:
                value = compute()
        except (TerraformError, LimitExceeded) as exc:
            self._values[key] = _Failed(exc)  # every block that needs it fails the same way, once computed
            raise
        finally:
            self._busy.discard(key)
        self._values[key] = value
        self._origins[key] = origins
        note_origins(origins)
        return value

    def variable(self, name: str) -> Any:
        return self._memo(f"var.{name}", lambda: self._variable(name))

    def _variable(self, name: str) -> Any:
        declared = self.variables.get(name)
        if name in self.inputs:
            value = self.inputs[name]()
            note_origins({step: value for step in self.input_origins.get(name, ())})
            return _typed(declared, value)
        if declared is None:
            return Unknown({f"var.{name}"})
        default = declared.item.body.attributes.get("default")
        if default is None:
            return Unknown({f"var.{name}"})
        return _typed(declared, _in_file(declared.unit.display, lambda: evaluate(default.expr, Scope(no_names))))

    def local(self, name: str) -> Any:
        located = self.locals.get(name)
        if located is None:
            return Unknown({f"local.{name}"})
        return self._memo(f"local.{name}",
                          lambda: _in_file(located.unit.display, lambda: evaluate(located.item.expr, self.scope)))

    def _resolve(self, name: str) -> Any:
        if name == "var":
            return Namespace("var", self.variable)
        if name == "local":
            return Namespace("local", self.local)
        if name == "path":
            return {"module": self.directory.as_posix(), "root": ".", "cwd": "."}
        if name == "terraform":
            return {"workspace": "default"}
        if name == "module":
            return Namespace("module", lambda call: Namespace(
                f"module.{call}", lambda out: Unknown({f"module.{call}.{out}"}),
                lambda _key: Namespace(f"module.{call}", lambda out: Unknown({f"module.{call}.{out}"}))))
        if name == "data":
            return Namespace("data", lambda kind: Namespace(
                f"data.{kind}", lambda label: _opaque(f"data.{kind}.{label}")))
        if name in ("count", "each", "self"):
            raise KeyError(name)
        if any(key.startswith(name + ".") for key in self.resources):
            return Namespace(name, lambda label: self._resource_ref(f"{name}.{label}"))
        raise KeyError(name)

    def _resource_ref(self, address: str) -> Any:
        located = self.resources.get(address)
        if located is None:
            return _opaque(address)

        def attribute(attr: str) -> Any:
            expr = located.item.body.attributes.get(attr)
            if expr is None:
                return Unknown({f"{address}.{attr}"})
            scope = self.scope.child({"count": {"index": Unknown({"count.index"})},
                                      "each": {"key": Unknown({"each.key"}), "value": Unknown({"each.value"})}})
            return self._memo(f"{address}.{attr}",
                              lambda: _in_file(located.unit.display, lambda: evaluate(expr.expr, scope)))

        view = Namespace(address, attribute)
        view.indexer = lambda _key: view
        return view

    # -- expansion -------------------------------------------------------------

    def instances(self, block: Block, unit: Unit, address: str) -> list[BlockView]:
        """The instances ``count`` or ``for_each`` make of a resource block (none for count = 0)."""
        attrs = block.body.attributes
        problems = self.problems
        if "count" in attrs and "for_each" in attrs:
            span = attrs["for_each"].span  # Terraform rejects the block: it has no instances
            raise TerraformError('"count" and "for_each" cannot be used together', span.line, span.column)
        if "count" in attrs:
            attr = attrs["count"]
            count = evaluate(attr.expr, self.scope)
            if isinstance(count, Unknown):
                scope = self.scope.child({"count": {"index": count}})
                return [BlockView(block.body, scope, block.span, unit.display, f"{address}[?]", count.refs,
                                  problems=problems)]
            if count is None:
                return []
            if isinstance(count, bool) or not isinstance(count, (int, float, str)):
                raise TerraformError(f"count must be a whole number, got {kind_of(count)}",
                                     attr.span.line, attr.span.column)
            try:
                number = to_number(count)
            except Exception:
                raise TerraformError(f"count must be a whole number, got {kind_of(count)} {str(count)[:40]!r}",
                                     attr.span.line, attr.span.column) from None
            if number != int(number) or number < 0:
                raise TerraformError(f"count must be a whole number of 0 or more, got {number}",
                                     attr.span.line, attr.span.column)
            n = int(number)
            if n > limits.TF_COLLECTION:
                raise LimitExceeded(f"count = {n:,}", limits.TF_COLLECTION, "TF_COLLECTION", attr.span.line)
            charge(n)
            return [BlockView(block.body, self.scope.child({"count": {"index": i}}), block.span, unit.display,
                              f"{address}[{i}]", problems=problems) for i in range(n)]
        if "for_each" in attrs:
            collection = evaluate(attrs["for_each"].expr, self.scope)
            collection = check_for_each(collection, attrs["for_each"])
            views = []
            for key, value, refs in _iterations(collection):
                charge()
                scope = self.scope.child({"each": {"key": key, "value": value}})
                suffix = "[?]" if isinstance(key, Unknown) else f'["{to_str(key)}"]'
                views.append(BlockView(block.body, scope, block.span, unit.display, f"{address}{suffix}",
                                       frozenset(refs), problems=problems))
            return views
        return [BlockView(block.body, self.scope, block.span, unit.display, address, problems=problems)]

    def resource_views(self, kinds: set[str]) -> Iterator[tuple[str, BlockView]]:
        """(type, instance) for every resource of the given types."""
        for located in self.resource_blocks:
            kind = located.item.labels[0]
            if kind in kinds:
                key = ".".join(located.item.labels)
                for view in self.instances(located.item, located.unit, f"{self.address}{key}"):
                    yield kind, view

    def calls(self) -> Iterator[tuple[ModuleCall, list[BlockView]]]:
        """Each module call with its instances (count / for_each)."""
        for name, located in self.module_blocks.items():
            source_attr = located.item.body.attributes.get("source")
            source = evaluate(source_attr.expr, Scope(no_names)) if source_attr else None
            if not isinstance(source, str):
                continue
            call = ModuleCall(name, located.item, located.unit, source)
            yield call, self.instances(located.item, located.unit, f"{self.address}module.{name}")


#: collectors of value origins, innermost last (see ``tracing``)
_TRACE: list[dict[Step, Any]] = []


class tracing:
    """Collect where the values read inside the ``with`` were set: ``{Step: value}``.

    Memoised variables, locals and resource attributes remember their origins, so a value
    read a second time still names the tfvars line that set it. At most ``TF_ORIGINS``
    origins are kept per value (the first ones met)."""

    def __enter__(self) -> dict[Step, Any]:
        self.found: dict[Step, Any] = {}
        _TRACE.append(self.found)
        return self.found

    def __exit__(self, *exc_info: Any) -> None:
        if _TRACE and _TRACE[-1] is self.found:
            _TRACE.pop()


def note_origins(origins: dict[Step, Any] | None) -> None:
    """Add origins to the innermost collector (no collector: nothing is kept)."""
    if not origins or not _TRACE:
        return
    found = _TRACE[-1]
    for step, value in origins.items():
        if len(found) >= limits.TF_ORIGINS:
            return
        found.setdefault(step, value)


class _Failed:
    """A memoised value whose evaluation failed: asking again raises the same error."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException):
        self.exc = exc


def _in_file(file: str, compute: Callable[[], Any]) -> Any:
    """Run ``compute``; an error it raises without a file is placed in ``file``."""
    try:
        return compute()
    except (TerraformError, LimitExceeded) as exc:
        if getattr(exc, "file", None) is None:
            exc.file = file
        raise


def _typed(declared: "Located | None", value: Any) -> Any:
    """A variable's value converted to its ``type`` (``optional()`` defaults filled in)."""
    type_attr = declared.item.body.attributes.get("type") if declared is not None else None
    if type_attr is None:
        return value
    from portlint.parsers.terraform.evaluate import apply_type, type_constraint

    return _in_file(declared.unit.display, lambda: apply_type(type_constraint(type_attr.expr), value))


def no_names(name: str) -> Any:
    """A resolver with no names at all (variable defaults, tfvars, module sources)."""
    raise KeyError(name)


def _opaque(address: str) -> Namespace:
    """A resource or data source whose attributes are only known after apply."""
    view = Namespace(address, lambda attr: Unknown({f"{address}.{attr}"}))
    view.indexer = lambda _key: view
    return view
