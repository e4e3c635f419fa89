"""A small document model for Terraform files, with positions, from HCL or JSON syntax.

``load_hcl`` turns python-hcl2's raw Lark tree (public ``.meta`` positions) into
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
    meta = tree.meta
    return Span(getattr(meta, "line", 1), getattr(meta, "column", 1), getattr(meta, "end_line", 1))


# --------------------------------------------------------------------------- HCL


def load_hcl(text: str) -> Body:
    """Parse HCL native syntax; raises HCLSyntaxError with a position."""
    from hcl2 import parses_to_tree
    from lark.exceptions import LarkError, UnexpectedInput

    try:
        tree = parses_to_tree(text)
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
