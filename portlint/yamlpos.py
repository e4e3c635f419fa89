"""YAML loading that remembers where every mapping entry and list item stands.

Positions are kept on dict/list subclasses, never injected into the user's data.
Unknown tags (``!reset``, ``!Ref``, ``!Sub`` ...) load as their plain value, and
YAML 1.1 base-60 integers (``22:22``) stay strings, as Compose users mean them.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Span:
    """1-based start line/column and end line of a YAML node (or key + value)."""

    line: int
    column: int
    end_line: int


def _end_line(node: yaml.Node) -> int:
    """1-based last line a node really uses (block nodes end at the next token)."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.value and not node.flow_style:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    mark = node.end_mark
    if mark.column == 0 and mark.line > node.start_mark.line:
        return mark.line  # block scalars end at column 0 of the following line
    return mark.line + 1


def _span(start: yaml.Node, end: yaml.Node | None = None) -> Span:
    return Span(start.start_mark.line + 1, start.start_mark.column + 1, _end_line(end or start))


class LocatedDict(dict):
    """A mapping with ``span`` (the whole node) and ``spans[key]`` (key through value)."""

    __slots__ = ("span", "spans", "tag")


class LocatedList(list):
    """A sequence with ``span`` (the whole node) and ``spans[i]`` (each item)."""

    __slots__ = ("span", "spans", "tag")


class LocatedStr(str):
    """A string scalar that carries its tag (``!Ref`` ...) when it had one."""

    __slots__ = ("tag",)


class PositionLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    pass


def _construct_map(loader: PositionLoader, node: yaml.MappingNode):
    data = LocatedDict()
    data.span = _span(node)
    data.spans = {}
    data.tag = None
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark) from None
        data[key] = loader.construct_object(value_node, deep=True)
        data.spans[key] = _span(key_node, value_node)


def _construct_seq(loader: PositionLoader, node: yaml.SequenceNode):
    data = LocatedList()
    data.span = _span(node)
    data.tag = None
    data.spans = [_span(item) for item in node.value]
    yield data
    data.extend(loader.construct_object(item, deep=True) for item in node.value)


def _construct_int(loader: PositionLoader, node: yaml.ScalarNode):
    if ":" in node.value:  # YAML 1.1 sexagesimal: `22:22` is a port mapping, not 1342
        return node.value
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_float(loader: PositionLoader, node: yaml.ScalarNode):
    if ":" in node.value:
        return node.value
    return yaml.SafeLoader.construct_yaml_float(loader, node)


def _construct_tagged_value(loader: PositionLoader, tag_suffix: str, node: yaml.Node):
    tag = "!" + tag_suffix
    if isinstance(node, yaml.ScalarNode):
        value = LocatedStr(loader.construct_scalar(node))
        value.tag = tag
        return value
    build = _construct_map if isinstance(node, yaml.MappingNode) else _construct_seq
    steps = build(loader, node)
    value = next(steps)
    for _ in steps:  # fill it in
        pass
    value.tag = tag
    return value


PositionLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
PositionLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
PositionLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
PositionLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
PositionLoader.add_multi_constructor("!", _construct_tagged_value)


def span_at(document: object, path: list) -> Span:
    """The span of the value at ``path`` (keys and indexes), or of the deepest parent found."""
    node, span = document, getattr(document, "span", Span(1, 1, 1))
    for key in path:
        spans = getattr(node, "spans", None)
        try:
            if spans is not None:
                span = spans[key]
            node = node[key]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            break
    return span


class YAMLLoadError(Exception):
    """A YAML document that cannot be loaded, with a 1-based position."""

    def __init__(self, message: str, line: int, column: int = 1):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _error_from(exc: yaml.YAMLError) -> YAMLLoadError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is None:
        return YAMLLoadError(message, 1)
    return YAMLLoadError(message, mark.line + 1, mark.column + 1)


def load_one(text: str):
    """Load a single-document YAML text with positions; raises YAMLLoadError."""
    try:
        return yaml.load(text, Loader=PositionLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise _error_from(exc) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise YAMLLoadError(f"invalid YAML: {exc}", 1) from None


def load_all(text: str) -> list:
    """Load every document of a multi-document YAML text; raises YAMLLoadError."""
    try:
        return list(yaml.load_all(text, Loader=PositionLoader))  # noqa: S506
    except yaml.YAMLError as exc:
        raise _error_from(exc) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise YAMLLoadError(f"invalid YAML: {exc}", 1) from None
