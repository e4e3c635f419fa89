"""A small document model for Terraform files, with positions, from HCL or JSON syntax.

``load_hcl`` turns the raw Lark tree of python-hcl2's grammar (positions from its tokens) into
``Body``/``Block``/``Attribute`` records whose expressions stay unevaluated;
``load_tf_json`` does the same for ``.tf.json``. The evaluator works on both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portlint.jsonpos import JSONLoadError, loads_located
from portlint.yamlpos import LocatedDict, LocatedList, Span

#: Top-level block types and how many labels they take, for .tf.json.
TOP_LEVEL_LABELS = {
    "resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1,
    "locals": 0, "terraform": 0, "moved": 0, "import": 0, "check": 1, "removed": 0,
}

#: Nested blocks that matter for exposure; in .tf.json other keys are attributes.
NESTED_BLOCKS = frozenset({
    "ingress", "egress", "allow", "deny", "security_rule", "inbound_rule", "outbound_rule",
    "rule", "dynamic", "content", "lifecycle", "log_config",
})


class HCLSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int = 1):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


@dataclass
class Expr:
    """An unevaluated expression: a Lark tree (HCL) or a JSON value (``.tf.json``)."""

    node: Any
    span: Span
    json: bool = False


@dataclass
class Attribute:
    name: str
    expr: Expr
    span: Span


@dataclass
class Block:
    type: str
    labels: tuple[str, ...]
    body: "Body"
    span: Span


@dataclass
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.type == kind]


def tree_span(tree) -> Span:
    """Where a subtree starts (its first token) and ends (its last token's end line).

    The parser does not propagate positions to tree nodes (that costs about as much
    as the parse itself); every token carries its own, and a node's span is the one
    Lark would have propagated: first token's line and column, last token's end line.
    """
    from lark import Token

    first = _edge_token(tree, Token, last=False)
    if first is None:
        return Span(1, 1, 1)
    last = _edge_token(tree, Token, last=True)
    return Span(first.line or 1, first.column or 1, (last.end_line if last is not None else None) or first.line or 1)


def _edge_token(tree, token_type, last: bool):
    """The first (or last) token under ``tree``, depth first; None when it holds none."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, token_type):
            return node
        children = getattr(node, "children", None)
        if children:
            stack.extend(c for c in (children if last else reversed(children)) if c is not None)
    return None


# --------------------------------------------------------------------------- HCL

_PARSER = None


def hcl_parser():
    """python-hcl2's grammar and post-lexer in a Lark LALR parser built once per process.

    Two differences from ``hcl2.parses_to_tree`` (same grammar, same tree): positions
    are not propagated to tree nodes (``tree_span`` reads them from the tokens), and
    the compiled grammar is cached in portlint's user cache folder, never in
    python-hcl2's package folder, which may be read-only (python-hcl2 then rebuilds
    it silently in every process, about 2 s). Importing the ``hcl2`` package itself
    (its serialisers, about 60 ms) is avoided too.
    """
    global _PARSER
    if _PARSER is None:
        from lark import Lark

        grammar, postlexer = _hcl2_grammar()
        with open(grammar, encoding="utf-8") as fh:
            source = fh.read()
        options = dict(parser="lalr", propagate_positions=False, postlex=postlexer())
        _PARSER = _cached_lark(Lark, source, options)
    return _PARSER


def _hcl2_grammar():
    """The path of python-hcl2's grammar file and its PostLexer class."""
    import importlib.util
    import os

    try:
        spec = importlib.util.find_spec("hcl2")
        folder = list(spec.submodule_search_locations or [])[0]
        grammar = os.path.join(folder, "hcl2.lark")
        module_spec = importlib.util.spec_from_file_location("portlint._hcl2_postlexer",
                                                             os.path.join(folder, "postlexer.py"))
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        if os.path.isfile(grammar):
            return grammar, module.PostLexer
    except Exception:  # an unusual install (zip, renamed files): ask python-hcl2 itself
        pass
    import hcl2.parser
    from hcl2.postlexer import PostLexer

    return os.path.join(os.path.dirname(hcl2.parser.__file__), "hcl2.lark"), PostLexer


def _cached_lark(lark_class, source: str, options: dict):
    """Lark with its compiled-grammar cache in portlint's private cache folder.

    Lark's cache is a pickle, so it is only read from a folder this user owns and
    nobody else can write (``portlint.cache.private_folder``); elsewhere, or when the
    folder cannot be made, the grammar is compiled in memory. Lark checks the grammar,
    options and versions a cache file was made from, and compiles again (rewriting
    it) when they differ or the file is damaged; an exclusive lock around that keeps
    concurrent runs from reading a half-written file.
    """
    import hashlib
    import os
    import sys

    from portlint.cache import locked, private_folder

    folder = private_folder("grammar")
    if folder is None:
        return lark_class(source, **options)
    import lark

    key = hashlib.sha256(f"{source}\0{lark.__version__}\0{sys.version_info[:2]}".encode()).hexdigest()
    path = os.path.join(folder, f"hcl2-{key[:24]}.lark")
    if os.path.islink(path) or (os.path.exists(path) and not os.path.isfile(path)):
        return lark_class(source, **options)
    try:
        with locked(os.path.join(folder, "lock")):
            return lark_class(source, cache=path, **options)
    except OSError:
        return lark_class(source, **options)


def load_hcl(text: str) -> Body:
    """Parse HCL native syntax; raises HCLSyntaxError with a position."""
    from lark.exceptions import LarkError, UnexpectedInput

    try:
        # as python-hcl2's parses_to_tree: a final new line, since the grammar has no end-of-file token
        tree = hcl_parser().parse(text + "\n")
    except UnexpectedInput as exc:
        line = getattr(exc, "line", 1) or 1
        column = getattr(exc, "column", 1) or 1
        raise HCLSyntaxError(f"invalid HCL: {_describe(exc)}", max(line, 1), max(column, 1)) from None
    except LarkError as exc:
        raise HCLSyntaxError(f"invalid HCL: {exc}", 1) from None
    except RecursionError:
        raise HCLSyntaxError("invalid HCL: nesting too deep", 1) from None
    return _body(tree.children[0])


_TERMINALS = {
    "RBRACE": "'}'", "LBRACE": "'{'", "RSQB": "']'", "LSQB": "'['", "RPAR": "')'", "LPAR": "'('",
    "EQ": "'='", "COMMA": "','", "COLON": "':'", "DBLQUOTE": "a string", "INT_LITERAL": "a number",
    "NAME": "a name", "NL_OR_COMMENT": "a new line",
}


def _describe(exc) -> str:
    """A short, human message for a Lark parse error."""
    token = getattr(exc, "token", None)
    if token is None:
        char = getattr(exc, "char", None)
        found = f"unexpected character {char!r}" if char else "unexpected input"
    elif token.type == "$END":
        found = "unexpected end of file"
    else:
        text = str(token).strip() or str(token)
        found = f"unexpected {text[:24]!r}"
    expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
    words = sorted({_TERMINALS[t] for t in expected if t in _TERMINALS})
    if {"a string", "a number"} & set(words):
        words = ["a value"]
    return found + (f", expected {' or '.join(words)}" if words else "")


def _name_of(node) -> str:
    """identifier / keyword / literal_value / string label -> text."""
    from lark import Token, Tree

    if isinstance(node, Token):
        return str(node)
    if node.data == "string":
        return "".join(str(part.children[0]) for part in node.children
                       if isinstance(part, Tree) and part.data == "string_part"
                       and isinstance(part.children[0], Token))
    return str(node.children[0])


def _body(tree) -> Body:
    from lark import Tree

    body = Body()
    for child in tree.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            name = _name_of(child.children[0])
            value = [c for c in child.children[1:] if isinstance(c, Tree)][-1]
            body.attributes[name] = Attribute(name, Expr(value, tree_span(value)), tree_span(child))
        elif child.data == "block":
            parts = [c for c in child.children if isinstance(c, Tree)]
            inner = next(p for p in parts if p.data == "body")
            head = [p for p in parts if p.data != "body" and p.data != "new_line_or_comment"]
            body.blocks.append(Block(_name_of(head[0]), tuple(_name_of(h) for h in head[1:]),
                                     _body(inner), tree_span(child)))
    return body


# --------------------------------------------------------------------------- JSON


def load_tf_json(text: str) -> Body:
    """Parse ``.tf.json``; raises HCLSyntaxError with a position."""
    try:
        doc = loads_located(text)
    except JSONLoadError as exc:
        raise HCLSyntaxError(f"invalid JSON: {exc.message}", exc.line, exc.column) from None
    except ValueError as exc:  # the standard decoder's own errors (json.JSONDecodeError)
        raise HCLSyntaxError(f"invalid JSON: {getattr(exc, 'msg', exc)}", getattr(exc, "lineno", 1),
                             getattr(exc, "colno", 1)) from None
    except RecursionError:
        raise HCLSyntaxError("invalid JSON: nesting too deep", 1) from None
    if not isinstance(doc, dict):
        raise HCLSyntaxError("a .tf.json file must hold a JSON object", 1)
    body = Body()
    for key, value in doc.items():
        span = doc.spans[key]
        if key in TOP_LEVEL_LABELS:
            body.blocks.extend(_json_blocks(key, value, TOP_LEVEL_LABELS[key], (), span))
        elif key != "//":
            body.attributes[key] = Attribute(key, Expr(value, span, json=True), span)
    return body


def _json_blocks(kind: str, value: Any, labels_left: int, labels: tuple[str, ...], span: Span) -> list[Block]:
    if labels_left:
        if not isinstance(value, dict):
            raise HCLSyntaxError(f"'{kind}' expects an object of labels", span.line, span.column)
        blocks = []
        for label, inner in value.items():
            blocks.extend(_json_blocks(kind, inner, labels_left - 1, labels + (str(label),), value.spans[label]))
        return blocks
    items = value if isinstance(value, list) else [value]
    spans = value.spans if isinstance(value, LocatedList) else [span]
    blocks = []
    for item, item_span in zip(items, spans):
        if not isinstance(item, dict):
            raise HCLSyntaxError(f"block '{kind}' must be a JSON object", item_span.line, item_span.column)
        blocks.append(Block(kind, labels, _json_body(item), getattr(item, "span", item_span)))
    return blocks


def _json_body(obj: LocatedDict) -> Body:
    body = Body()
    for key, value in obj.items():
        span = obj.spans[key]
        if key == "//":
            continue
        if key == "dynamic" and isinstance(value, dict):
            body.blocks.extend(_json_blocks("dynamic", value, 1, (), span))
        elif key in NESTED_BLOCKS and _is_objects(value):
            body.blocks.extend(_json_blocks(key, value, 0, (), span))
        else:
            body.attributes[key] = Attribute(key, Expr(value, span, json=True), span)
    return body


def _is_objects(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
