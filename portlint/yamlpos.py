"""YAML loading that remembers where every mapping entry and list item stands.

Positions are kept on dict/list subclasses, never injected into the user's data.
Unknown local tags (``!reset``, ``!Ref``, ``!Sub`` ...) load as their plain value, and
YAML 1.1 base-60 integers (``22:22``) stay strings, as Compose users mean them.

Documents are built here from the parser's event stream (libyaml's when present),
without recursion, so every work limit is enforced while reading, before any cost
is paid:

* nesting deeper than ``limits.YAML_DEPTH`` stops the file (the YAML scanners
  slow down quadratically with flow nesting, so nothing after it is read);
* more than ``limits.YAML_DOCUMENTS`` documents stops the file;
* more than ``limits.YAML_NODES`` nodes in one document, or more than
  ``limits.YAML_ALIAS_NODES`` nodes reached through aliases (each alias use
  counts the whole size of the subtree it names: the billion-laughs defence)
  drops that document; the next one is still read;
* duplicate keys, bad merge keys, unhashable keys and unsupported tags are
  errors at their own line, and the rest of the document is kept.

Merge keys follow the YAML merge spec whatever the PyYAML version: keys written in
the mapping win over merged ones, and in ``<<: [*a, *b]`` the first mapping wins.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from portlint import limits


class _LazyPattern:
    """A regular expression compiled the first time it is used.

    PyYAML's pure-Python reader compiles a character class spanning all of Unicode when its
    module is imported (``Reader.NON_PRINTABLE``): about 25-30 ms, a fifth of a one-file run,
    for a pattern the C loader portlint uses never touches. It is compiled if the pure-Python
    reader ever runs (no libyaml)."""

    def __init__(self, compile, pattern, flags):
        self._compile, self._args, self._compiled = compile, (pattern, flags), None

    def __getattr__(self, name):
        if self._compiled is None:
            self._compiled = self._compile(*self._args)
        return getattr(self._compiled, name)


def _import_yaml():
    """``import yaml``, with the reader's Unicode class left to be compiled on first use."""
    if "yaml" in sys.modules:
        return sys.modules["yaml"]
    import re

    original = re.compile

    def deferred(pattern, flags=0):
        if sys._getframe(1).f_globals.get("__name__") == "yaml.reader":
            return _LazyPattern(original, pattern, flags)
        return original(pattern, flags)

    re.compile = deferred
    try:
        import yaml
    finally:
        re.compile = original
    return yaml


yaml = _import_yaml()

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:set")
_SEQ_TAGS = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs")
#: sizes saturate here: large enough to pass every limit, small enough to stay a machine int
_SIZE_CAP = 1 << 62


@dataclass(frozen=True, slots=True)
class Span:
    """1-based start line/column and end line of a YAML node (or key + value)."""

    line: int
    column: int
    end_line: int


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
    """Supplies the event stream, tag resolution and scalar constructors."""


def _construct_int(loader: PositionLoader, node: yaml.ScalarNode):
    if ":" in node.value:  # YAML 1.1 sexagesimal: `22:22` is a port mapping, not 1342
        return node.value
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_float(loader: PositionLoader, node: yaml.ScalarNode):
    if ":" in node.value:
        return node.value
    return yaml.SafeLoader.construct_yaml_float(loader, node)


def _construct_tagged_scalar(loader: PositionLoader, tag_suffix: str, node: yaml.Node):
    value = LocatedStr(loader.construct_scalar(node))
    value.tag = "!" + tag_suffix
    return value


PositionLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
PositionLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
PositionLoader.add_multi_constructor("!", _construct_tagged_scalar)

#: the only scalar types a document may hold; any other tag is an error, never a call
_SCALAR_CONSTRUCTORS = {
    "tag:yaml.org,2002:null": yaml.SafeLoader.construct_yaml_null,
    "tag:yaml.org,2002:bool": yaml.SafeLoader.construct_yaml_bool,
    "tag:yaml.org,2002:int": _construct_int,
    "tag:yaml.org,2002:float": _construct_float,
    "tag:yaml.org,2002:binary": yaml.SafeLoader.construct_yaml_binary,
    "tag:yaml.org,2002:timestamp": yaml.SafeLoader.construct_yaml_timestamp,
    _STR_TAG: yaml.SafeLoader.construct_yaml_str,
}


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


def _error_from(exc: yaml.YAMLError, text: str) -> YAMLLoadError:
    if isinstance(exc, yaml.reader.ReaderError):
        position = max(0, min(exc.position, len(text)))
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        return YAMLLoadError(f"invalid YAML: unacceptable character #x{exc.character:04x}"
                             if isinstance(exc.character, int) else f"invalid YAML: {exc.reason}", line, column)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is None:
        return YAMLLoadError(message, 1)
    return YAMLLoadError(message, mark.line + 1, mark.column + 1)


def _at(mark, message: str) -> YAMLLoadError:
    return YAMLLoadError(message, mark.line + 1, mark.column + 1)


def _limit_error(mark, what: str, limit: int, name: str) -> YAMLLoadError:
    exc = limits.LimitExceeded(what, limit, name, mark.line + 1)
    return _at(mark, exc.message)


def _end_line(start, end) -> int:
    """1-based last line of a scalar, alias or flow node (block scalars end at column 0 of the next line)."""
    if end.column == 0 and end.line > start.line:
        return end.line
    return end.line + 1


def _tag_name(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


#: (plain scalar text, implicit flags) -> resolved tag: a pure function of the two for
#: PositionLoader (no path resolvers), and the same short values (``ports``, ``tcp``, ``true``)
#: recur in every file; bounded in entries and value length
_RESOLVED: dict[tuple, str] = {}
_RESOLVED_MAX = 4096

#: plain (untagged, unquoted) scalar text -> its value, for the types whose value is a pure
#: function of the text and immutable: strings (stored as ``_TEXT``: the event's own text is
#: the value), null, booleans and integers; never floats (a shared ``nan`` would make two
#: documents' values equal by identity), merge keys or timestamps. Filled by ``_scalar``;
#: bounded in entries and value length
_PLAIN: dict[str, object] = {}
_PLAIN_MAX = 4096
_PLAIN_TAGS = frozenset({_STR_TAG, "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int"})
_TEXT = object()

#: (0-based line, 0-based column, 1-based end line) -> its Span. Spans are immutable values, and
#: files of one kind repeat the same places (line 3, column 5 ...): made once, shared; bounded
#: (8,192 places, about 2.5 MB)
_SPANS: dict[tuple[int, int, int], Span] = {}
_SPANS_MAX = 8192


def _span(place: tuple[int, int, int]) -> Span:
    span = Span(place[0] + 1, place[1] + 1, place[2])
    if len(_SPANS) < _SPANS_MAX:
        _SPANS[place] = span
    return span
_UNKNOWN = object()


class _FileFailed(Exception):
    """Stop reading the file (syntax error, too deep, too many documents)."""

    def __init__(self, error: YAMLLoadError):
        self.error = error


class _DocumentFailed(Exception):
    """Drop the current document and skip to the next one."""

    def __init__(self, error: YAMLLoadError):
        self.error = error


_MERGE = object()  # stands for a `<<` key while its mapping is being built


class _Frame:
    __slots__ = ("obj", "is_map", "start", "anchor", "tag", "size", "key", "key_mark",
                 "has_key", "merges", "last_end", "flow", "bad_tag")

    def __init__(self, obj, is_map, start, anchor, tag, bad_tag, flow):
        self.obj, self.is_map, self.start, self.anchor = obj, is_map, start, anchor
        self.tag, self.bad_tag, self.flow = tag, bad_tag, flow
        self.size, self.key, self.key_mark, self.has_key = 1, None, None, False
        self.merges: list | None = None  # made by the first merge key
        self.last_end = 0


class _Builder:
    """Builds located documents from the event stream, within the limits."""

    def __init__(self, loader: PositionLoader, single: bool):
        self.loader = loader
        self.single = single
        self.documents: list = []
        self.errors: list[YAMLLoadError] = []
        self.count = 0

    # -- the event loop ---------------------------------------------------------------------
    def run(self) -> None:
        """Build every document; the common events (untagged scalars whose value is known,
        untagged collections) are handled in this loop, the rest by the methods below
        (tests/parsers/test_perf_compose_yaml.py holds the plain one-method-per-event loop this
        one must agree with)."""
        loader = self.loader
        get_event = loader.get_event
        errors = self.errors
        plain = _PLAIN
        spans_made = _SPANS
        max_depth, max_nodes = limits.YAML_DEPTH, limits.YAML_NODES
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        document_start, document_end = yaml.DocumentStartEvent, yaml.DocumentEndEvent
        skipping = False
        depth = nodes = 0
        stack: list[_Frame] = []
        while True:
            try:
                while True:
                    event = get_event()
                    if event is None:
                        return
                    kind = type(event)
                    if kind is scalar_event:
                        if skipping:
                            continue
                        nodes += 1
                        if nodes > max_nodes:
                            raise _DocumentFailed(_limit_error(event.start_mark, "the number of nodes in this "
                                                               "YAML document", max_nodes, "YAML_NODES"))
                        if event.tag is not None or event.anchor is not None:
                            self._scalar(event)
                            continue
                        value = event.value
                        if event.implicit[0]:
                            known = plain.get(value, _UNKNOWN)
                            if known is _UNKNOWN:
                                known = self._plain_value(event)
                                if known is _UNKNOWN:
                                    self._scalar(event)
                                    continue
                            if known is not _TEXT:
                                value = known
                        size = 1
                        start, end = event.start_mark, event.end_mark
                        end_line = end.line if end.column == 0 and end.line > start.line else end.line + 1
                    elif kind is mapping_end or kind is sequence_end:
                        depth -= 1
                        if skipping:
                            continue
                        frame = stack.pop()
                        obj = frame.obj
                        if frame.merges:
                            self._apply_merges(obj, frame.merges)
                        start = frame.start
                        if frame.flow or not frame.last_end:
                            end = event.end_mark
                            end_line = end.line if end.column == 0 and end.line > start.line else end.line + 1
                        else:
                            end_line = frame.last_end
                        place = (start.line, start.column, end_line)
                        span = spans_made.get(place)
                        if span is None:
                            span = _span(place)
                        obj.span = span
                        value = None if frame.bad_tag else obj
                        size = frame.size
                        if frame.anchor is not None:
                            self.open_anchors.discard(frame.anchor)
                            self.anchors[frame.anchor] = (value, size)
                    elif kind is mapping_start or kind is sequence_start:
                        depth += 1
                        if depth > max_depth:
                            raise _FileFailed(_limit_error(event.start_mark, "YAML nesting depth",
                                                           max_depth, "YAML_DEPTH"))
                        if skipping:
                            continue
                        nodes += 1
                        if nodes > max_nodes:
                            raise _DocumentFailed(_limit_error(event.start_mark, "the number of nodes in this "
                                                               "YAML document", max_nodes, "YAML_NODES"))
                        if event.tag is not None or event.anchor is not None:
                            self._open(event, kind is mapping_start)
                            continue
                        if kind is mapping_start:
                            obj = LocatedDict()
                            obj.spans = {}
                        else:
                            obj = LocatedList()
                            obj.spans = []
                        obj.tag = None
                        stack.append(_Frame(obj, kind is mapping_start, event.start_mark, None, None, False,
                                            bool(event.flow_style)))
                        continue
                    elif kind is alias_event:
                        if skipping:
                            continue
                        nodes += 1
                        if nodes > max_nodes:
                            raise _DocumentFailed(_limit_error(event.start_mark, "the number of nodes in this "
                                                               "YAML document", max_nodes, "YAML_NODES"))
                        self._alias(event)
                        continue
                    elif kind is document_start:
                        self.count += 1
                        if self.single and self.count > 1:
                            raise _FileFailed(_at(event.start_mark, "expected a single YAML document, "
                                                                    "found another one here"))
                        if self.count > limits.YAML_DOCUMENTS:
                            raise _FileFailed(_limit_error(event.start_mark, "the number of YAML documents",
                                                           limits.YAML_DOCUMENTS, "YAML_DOCUMENTS"))
                        self._start_document()
                        stack = self.stack
                        skipping, depth, nodes = False, 0, 0
                        continue
                    elif kind is document_end:
                        self.documents.append(None if skipping else self.root)
                        continue
                    else:  # stream start and end
                        continue
                    # the node is done: it becomes its parent's key, value or item (``_finish``)
                    if not stack:
                        self.root = value
                        continue
                    frame = stack[-1]
                    size += frame.size
                    frame.size = size if size < _SIZE_CAP else _SIZE_CAP
                    frame.last_end = end_line
                    obj = frame.obj
                    if not frame.is_map:
                        obj.append(value)
                        place = (start.line, start.column, end_line)
                        span = spans_made.get(place)
                        obj.spans.append(span if span is not None else _span(place))
                        continue
                    if not frame.has_key:
                        frame.key, frame.key_mark, frame.has_key = value, start, True
                        continue
                    key, key_mark = frame.key, frame.key_mark
                    frame.key, frame.key_mark, frame.has_key = None, None, False
                    if key is _MERGE:
                        self._merge_value(frame, value, key_mark)
                        continue
                    try:
                        duplicate = key in obj
                    except TypeError:  # unhashable
                        errors.append(_at(key_mark, f"a mapping key must be a plain value, found {_kind(key)}"))
                        continue
                    if duplicate:
                        first = obj.spans[key].line
                        errors.append(_at(key_mark, f"duplicate key {_short(key)} (first at line {first}); "
                                                    "YAML forbids repeated keys"))
                    obj[key] = value
                    place = (key_mark.line, key_mark.column, end_line)
                    span = spans_made.get(place)
                    obj.spans[key] = span if span is not None else _span(place)
            except _DocumentFailed as failed:
                errors.append(failed.error)
                stack.clear()
                skipping = True

    def _start_document(self) -> None:
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[object, int]] = {}
        self.open_anchors: set[str] = set()
        self.nodes = 0
        self.alias_nodes = 0
        self.root = None

    def _count_node(self, mark) -> None:
        self.nodes += 1
        if self.nodes > limits.YAML_NODES:
            raise _DocumentFailed(_limit_error(mark, "the number of nodes in this YAML document",
                                               limits.YAML_NODES, "YAML_NODES"))

    # -- nodes ------------------------------------------------------------------------------
    def _in_key_position(self) -> bool:
        return bool(self.stack) and self.stack[-1].is_map and not self.stack[-1].has_key

    def _scalar(self, event) -> None:
        tag = event.tag
        explicit = tag is not None and tag != "!"
        if not explicit:
            key = (event.value, event.implicit)
            tag = _RESOLVED.get(key)
            if tag is None:
                tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                if len(_RESOLVED) < _RESOLVED_MAX and len(event.value) <= 64:
                    _RESOLVED[key] = tag
        if tag == _STR_TAG:
            value = event.value
        elif tag == _MERGE_TAG and not explicit and self._in_key_position():
            value = _MERGE
        elif tag in (_MERGE_TAG, _VALUE_TAG):
            value = event.value
        else:
            value = self._construct_scalar(event, tag, explicit)
        if (not explicit and event.implicit[0] and tag in _PLAIN_TAGS and len(event.value) <= 64
                and len(_PLAIN) < _PLAIN_MAX):
            _PLAIN[event.value] = _TEXT if value is event.value else value
        self._finish(value, 1, event.start_mark, _end_line(event.start_mark, event.end_mark), event.anchor)

    def _plain_value(self, event):
        """The value of a plain untagged scalar missing from ``_PLAIN`` (``_TEXT``: its text),
        remembered there; ``_UNKNOWN`` when it is of a type ``_scalar`` must build."""
        tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag not in _PLAIN_TAGS:
            return _UNKNOWN
        value = _TEXT if tag == _STR_TAG else self._construct_scalar(event, tag, False)
        if value is event.value:
            value = _TEXT
        if len(event.value) <= 64 and len(_PLAIN) < _PLAIN_MAX:
            _PLAIN[event.value] = value
        return value

    def _construct_scalar(self, event, tag: str, explicit: bool):
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        construct = _SCALAR_CONSTRUCTORS.get(tag)
        try:
            if construct is not None:
                return construct(self.loader, node)
            if tag.startswith("!"):
                return _construct_tagged_scalar(self.loader, tag[1:], node)
        except (ValueError, TypeError, OverflowError, ArithmeticError, yaml.YAMLError) as exc:
            if not explicit:
                return event.value  # `2001-13-45`, a 5,000-digit number: keep the text
            self.errors.append(_at(event.start_mark, f"invalid {_tag_name(tag)} value: {exc}"))
            return None
        self.errors.append(_at(event.start_mark, f"unsupported YAML tag {_short(_tag_name(tag))}; "
                                                 "portlint loads plain data only"))
        return None

    def _alias(self, event) -> None:
        name = event.anchor
        if name not in self.anchors:
            if name in self.open_anchors:
                raise _DocumentFailed(_at(event.start_mark, f"alias *{name} refers to a node that contains "
                                                            "it; recursive YAML is not supported"))
            raise _DocumentFailed(_at(event.start_mark, f"alias *{name} names no anchor defined before it"))
        value, size = self.anchors[name]
        self.alias_nodes += size
        if self.alias_nodes > limits.YAML_ALIAS_NODES:
            raise _DocumentFailed(_limit_error(
                event.start_mark, "the number of YAML nodes reached through aliases (alias *"
                f"{name} and those before it)", limits.YAML_ALIAS_NODES, "YAML_ALIAS_NODES"))
        self._finish(value, size, event.start_mark, _end_line(event.start_mark, event.end_mark), None)

    def _open(self, event, is_map: bool) -> None:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.MappingNode if is_map else yaml.SequenceNode, None, event.implicit)
        bad_tag = False
        if tag.startswith("!"):
            local = tag
        else:
            local = None
            if tag not in (_MAP_TAGS if is_map else _SEQ_TAGS):
                bad_tag = True
                self.errors.append(_at(event.start_mark, f"unsupported YAML tag {_short(_tag_name(tag))}; "
                                                         "portlint loads plain data only"))
        obj = LocatedDict() if is_map else LocatedList()
        obj.spans = {} if is_map else []
        obj.tag = local
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame(obj, is_map, event.start_mark, event.anchor, local, bad_tag,
                                 bool(event.flow_style)))

    def _close(self, event) -> None:
        frame = self.stack.pop()
        obj = frame.obj
        if frame.is_map and frame.merges:
            self._apply_merges(obj, frame.merges)
        if frame.flow or not frame.last_end:
            end = _end_line(frame.start, event.end_mark)
        else:
            end = frame.last_end
        obj.span = Span(frame.start.line + 1, frame.start.column + 1, end)
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
        self._finish(None if frame.bad_tag else obj, frame.size, frame.start, end, frame.anchor)

    def _finish(self, value, size: int, start, end_line: int, anchor) -> None:
        if anchor is not None:
            self.anchors[anchor] = (value, size)
        if not self.stack:
            self.root = None if value is _MERGE else value
            return
        parent = self.stack[-1]
        parent.size = min(parent.size + size, _SIZE_CAP)
        parent.last_end = end_line
        obj = parent.obj
        if not parent.is_map:
            obj.append("<<" if value is _MERGE else value)
            obj.spans.append(Span(start.line + 1, start.column + 1, end_line))
            return
        if not parent.has_key:
            parent.key, parent.key_mark, parent.has_key = value, start, True
            return
        key, key_mark = parent.key, parent.key_mark
        parent.key, parent.key_mark, parent.has_key = None, None, False
        if key is _MERGE:
            self._merge_value(parent, value, key_mark)
            return
        try:
            hash(key)
        except TypeError:
            self.errors.append(_at(key_mark, f"a mapping key must be a plain value, found {_kind(key)}"))
            return
        if key in obj:
            first = obj.spans[key].line
            self.errors.append(_at(key_mark, f"duplicate key {_short(key)} (first at line {first}); "
                                             "YAML forbids repeated keys"))
        obj[key] = value
        obj.spans[key] = Span(key_mark.line + 1, key_mark.column + 1, end_line)

    # -- merge keys -------------------------------------------------------------------------
    def _merge_value(self, frame: _Frame, value, mark) -> None:
        if frame.merges is None:
            frame.merges = []
        if isinstance(value, dict):
            frame.merges.append(value)
        elif isinstance(value, list):
            spans = getattr(value, "spans", None) or []
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    frame.merges.append(item)
                else:
                    where = spans[index] if index < len(spans) else None
                    line, column = (where.line, where.column) if where else (mark.line + 1, mark.column + 1)
                    self.errors.append(YAMLLoadError(
                        f"merge key '<<' takes mappings, but item {index + 1} is {_kind(item)}", line, column))
        else:
            self.errors.append(_at(mark, f"merge key '<<' takes a mapping or a list of mappings, "
                                         f"got {_kind(value)}"))

    @staticmethod
    def _apply_merges(obj: LocatedDict, merges: list) -> None:
        """Keys written in the mapping win; among merged mappings, the first one wins."""
        explicit, explicit_spans = dict(obj), obj.spans
        merged: dict = {}
        spans: dict = {}
        for source in merges:
            source_spans = getattr(source, "spans", None) or {}
            default = getattr(source, "span", Span(1, 1, 1))
            for key, value in source.items():
                if key not in merged:
                    merged[key] = value
                    spans[key] = source_spans.get(key, default)
        for key, value in explicit.items():
            merged[key] = value
            spans[key] = explicit_spans[key]
        obj.clear()
        obj.update(merged)
        obj.spans = spans


def _load(text: str, single: bool) -> tuple[list, list[YAMLLoadError]]:
    try:
        loader = PositionLoader(text)
    except (yaml.YAMLError, ValueError, TypeError, UnicodeError) as exc:
        message = _error_from(exc, text) if isinstance(exc, yaml.YAMLError) else YAMLLoadError(
            f"invalid YAML: {exc}", 1)
        return [], [message]
    builder = _Builder(loader, single)
    try:
        builder.run()
    except _FileFailed as failed:
        builder.errors.append(failed.error)
    except yaml.YAMLError as exc:
        builder.errors.append(_error_from(exc, text))
    except (ValueError, TypeError, UnicodeError, RecursionError, OverflowError) as exc:
        builder.errors.append(YAMLLoadError(f"invalid YAML: {exc}", 1))
    finally:
        try:
            loader.dispose()
        except Exception:  # noqa: BLE001 - disposing a failed parser must not hide the error
            pass
    builder.errors.sort(key=lambda e: (e.line, e.column))
    return builder.documents, builder.errors


def load_documents(text: str) -> tuple[list, list[YAMLLoadError]]:
    """Every document of a YAML text, and every error met, each at its own line.

    A document that failed as a whole (a limit, a bad alias) is None in the list;
    one with local errors (a duplicate key, a bad merge, an unsupported tag) is
    kept with the offending entry dropped or replaced. A syntax error, too deep
    nesting or too many documents end the file: documents before it are kept.
    """
    return _load(text, single=False)


def load_single(text: str) -> tuple[object, list[YAMLLoadError]]:
    """The one document of a YAML text (None when empty or failed) and every error met."""
    documents, errors = _load(text, single=True)
    return (documents[0] if documents else None), errors


def load_one(text: str):
    """Load a single-document YAML text with positions; raises the first YAMLLoadError."""
    document, errors = load_single(text)
    if errors:
        raise errors[0]
    return document


def load_all(text: str) -> list:
    """Load every document of a multi-document YAML text; raises the first YAMLLoadError."""
    documents, errors = load_documents(text)
    if errors:
        raise errors[0]
    return documents
