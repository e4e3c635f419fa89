"""Evaluate Terraform expressions (HCL Lark trees or .tf.json values) to Python values.

References are resolved through a ``Scope``: local names (``each``, ``count``,
dynamic iterators, ``for`` variables) first, then the module's root names
(``var``, ``local``, resource types ...) through a resolver function. What
cannot be known becomes ``Unknown`` carrying the references it came from;
expressions Terraform would reject become ``Unknown`` too, never exceptions.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Callable

from portlint.parsers.terraform.functions import FUNCTIONS, MIN_ARGS
from portlint.parsers.terraform.hcl import Expr
from portlint import limits
from portlint.limits import LimitExceeded
from portlint.parsers.terraform.values import (
    EvalError, TerraformError, Unknown, budget, charge, check_number, check_size, has_budget, to_bool,
    to_list, to_number, to_str, unknown_of,
)


class Namespace:
    """A name whose attributes are looked up lazily: ``var``, ``local``, ``aws_vpc``..."""

    __slots__ = ("name", "getter", "indexer")

    def __init__(self, name: str, getter: Callable[[str], Any],
                 indexer: Callable[[str], Any] | None = None):
        self.name, self.getter, self.indexer = name, getter, indexer

    def attr(self, key: str) -> Any:
        return self.getter(key)

    def index(self, key: str) -> Any:
        """``x[key]``: an instance of a counted resource, or an attribute of a map-like name."""
        return self.indexer(key) if self.indexer else self.getter(key)


class Scope:
    __slots__ = ("names", "parent", "resolver")

    def __init__(self, resolver: Callable[[str], Any], names: dict[str, Any] | None = None,
                 parent: "Scope | None" = None):
        self.resolver, self.names, self.parent = resolver, names or {}, parent

    def child(self, names: dict[str, Any]) -> "Scope":
        return Scope(self.resolver, names, self)

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return self.resolver(name)


_ESCAPES = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    def repl(m: re.Match) -> str:
        code = m.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, "\\" + code)
    return _ESCAPES.sub(repl, text)


@lru_cache(maxsize=2048)
def _template_tree(text: str):
    """Parse a template string (from .tf.json or a heredoc) as an HCL string expression."""
    from portlint.parsers.terraform.hcl import load_hcl

    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    body = load_hcl(f'v = "{escaped}"\n')
    return body.attributes["v"].expr.node


def render_template(text: str, variables: dict) -> Any:
    """``templatefile()``: a template file rendered with only ``variables`` in scope."""
    if "${" not in text and "%{" not in text:
        return text
    parse = _template_tree if len(text) <= 4096 else _template_tree.__wrapped__  # big texts are not cached
    try:
        tree = parse(text)
    except Exception:
        raise TerraformError("templatefile(): the file is not a valid template") from None

    def no_names(name: str) -> Any:
        raise EvalError(f"templatefile(): {name} is not among the template's variables")

    return _eval(tree, Scope(no_names, dict(variables)))


def evaluate(expr: Expr, scope: Scope) -> Any:
    """The value of an expression; Unknown where it cannot be known.

    Raises ``TerraformError`` for input that is wrong rather than unknown and
    ``LimitExceeded`` when a work limit is hit, both carrying the line of the
    innermost expression that failed.
    """
    if not has_budget():
        with budget():
            return evaluate(expr, scope)
    try:
        if expr.json:
            return _json_value(expr.node, scope)
        return _eval(expr.node, scope)
    except EvalError as exc:
        return Unknown({f"invalid expression: {exc}"})
    except (RecursionError, ValueError, TypeError, ZeroDivisionError, OverflowError) as exc:
        return Unknown({f"invalid expression: {exc}"})
    except (TerraformError, LimitExceeded) as exc:
        if not exc.line:
            exc.line = expr.span.line
            if isinstance(exc, TerraformError):
                exc.column = expr.span.column
        raise
    except MemoryError:
        raise LimitExceeded("memory for one Terraform expression", limits.TF_STRING, "TF_STRING",
                            expr.span.line) from None
    except Exception as exc:  # a bug in the evaluator must cost only this expression's block
        raise TerraformError(f"cannot evaluate this expression ({type(exc).__name__}: {exc})",
                             expr.span.line, expr.span.column) from None


def _json_value(value: Any, scope: Scope) -> Any:
    if isinstance(value, str):
        if "${" not in value and "%{" not in value:
            return value
        return _eval(_template_tree(value), scope)
    charge()
    if isinstance(value, list):
        return [_json_value(v, scope) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = _json_value(k, scope) if "${" in k else k
            out[key if isinstance(key, str) else to_str(key)] = _json_value(v, scope)
        return out
    return value


_TREE: list = []


def _children(node) -> list:
    if not _TREE:
        from lark import Tree

        _TREE.append(Tree)
    tree = _TREE[0]
    return [c for c in node.children if isinstance(c, tree) and c.data != "new_line_or_comment"]


def _eval(node, scope: Scope) -> Any:
    charge()
    handler = _HANDLERS.get(node.data)
    if handler is None:
        raise EvalError(f"unsupported expression {node.data}")
    return handler(node, scope)


def _expr_term(node, scope):
    inner = _children(node)
    if not inner:
        raise EvalError("empty expression")
    return _eval(inner[0], scope)


def _int_lit(node, scope):
    text = str(node.children[0])
    if len(text) > limits.TF_NUMBER_DIGITS:
        raise LimitExceeded(f"a number of {len(text):,} digits", limits.TF_NUMBER_DIGITS, "TF_NUMBER_DIGITS")
    return int(text)


def _float_lit(node, scope):
    return float(str(node.children[0]))


def _literal_value(node, scope):
    return {"true": True, "false": False, "null": None}[str(node.children[0])]


def _identifier(node, scope):
    name = str(node.children[0])
    try:
        return scope.lookup(name)
    except KeyError:
        return Unknown({name})


def _string(node, scope):
    from lark import Token, Tree

    parts: list[Any] = []
    for part in node.children:
        if not (isinstance(part, Tree) and part.data == "string_part"):
            continue
        inner = part.children[0]
        if isinstance(inner, Token):
            text = str(inner)
            if inner.type == "ESCAPED_INTERPOLATION":
                parts.append(text[1:])
            elif inner.type == "ESCAPED_DIRECTIVE":
                parts.append(text[1:])
            else:
                parts.append(_unescape(text))
        elif inner.data == "interpolation":
            parts.append(_Interp(_eval(_children(inner)[0], scope)))
        else:  # %{ if } / %{ for } directives
            return Unknown({"template directive"})
    return _join_parts(parts)


class _Interp:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _join_parts(parts: list) -> Any:
    if len(parts) == 1 and isinstance(parts[0], _Interp):
        return parts[0].value  # "${x}" alone keeps x's type
    values = [p.value if isinstance(p, _Interp) else p for p in parts]
    unknown = unknown_of(*values)
    if unknown:
        return unknown
    texts = [to_str(v) for v in values]
    if sum(map(len, texts)) > limits.TF_STRING:
        raise LimitExceeded("a string template's result", limits.TF_STRING, "TF_STRING")
    return check_size("".join(texts))


def _heredoc(node, scope, trim: bool = False):
    text = str(node.children[0])
    first_newline = text.index("\n")
    body = text[first_newline + 1:]
    lines = body.split("\n")
    # the last non-empty line is the closing marker
    while lines and not lines[-1].strip():
        lines.pop()
    lines = lines[:-1]
    if trim:
        indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
        cut = min(indents, default=0)
        lines = [line[cut:] for line in lines]
    content = "\n".join(lines) + ("\n" if lines else "")
    if "${" not in content:
        return content
    return _eval(_template_tree(content), scope)


def _tuple(node, scope):
    return check_size([_eval(child, scope) for child in _children(node)])


def _object(node, scope):
    result: dict[Any, Any] = {}
    for elem in _children(node):
        key_node, value_node = _children(elem)[0], _children(elem)[-1]
        key = _object_key(key_node, scope)
        if isinstance(key, Unknown):
            return key
        result[to_str(key)] = _eval(value_node, scope)
    return check_size(result)


def _object_key(key_node, scope):
    from lark import Token

    inner = key_node.children[0]
    if isinstance(inner, Token) or inner.data == "keyword":
        return str(inner if isinstance(inner, Token) else inner.children[0])
    term = _children(inner)
    if inner.data == "expr_term" and term and term[0].data == "identifier":
        return str(term[0].children[0])  # bare names are literal keys
    return _eval(inner, scope)


def _attr(value: Any, key: str) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Namespace):
        return value.attr(key)
    if isinstance(value, dict):
        if key in value:
            return value[key]
        raise EvalError(f"no attribute {key!r}")
    if isinstance(value, list) and key.isdigit():
        return _index(value, int(key))
    raise EvalError(f"cannot read .{key} of {type(value).__name__}")


def _index(value: Any, key: Any) -> Any:
    unknown = unknown_of(value, key)
    if unknown:
        return unknown
    if isinstance(value, Namespace):
        return value.index(to_str(key))
    if isinstance(value, list):
        i = int(to_number(key))
        if not -len(value) <= i < len(value):
            raise EvalError(f"index {i} out of range")
        return value[i]
    if isinstance(value, dict):
        k = to_str(key)
        if k not in value:
            raise EvalError(f"no key {k!r}")
        return value[k]
    raise EvalError(f"cannot index {type(value).__name__}")


def _get_attr_expr(node, scope):
    target, accessor = _children(node)
    return _attr(_eval(target, scope), _accessor_name(accessor))


def _accessor_name(get_attr) -> str:
    inner = _children(get_attr)[0]
    return str(inner.children[0])


def _index_expr(node, scope):
    target, index = _children(node)
    value = _eval(target, scope)
    if index.data == "short_index":
        return _index(value, int(str(index.children[-1])))
    return _index(value, _eval(_children(index)[0], scope))


def _splat(node, scope):
    target, splat = _children(node)
    value = _eval(target, scope)
    if isinstance(value, Unknown):
        return value
    items = value if isinstance(value, list) else ([] if value is None else [value])
    out = []
    for item in items:
        charge()
        for step in _children(splat):
            if step.data == "get_attr":
                item = _attr(item, _accessor_name(step))
            elif step.data == "short_index":
                item = _index(item, int(str(step.children[-1])))
            else:
                item = _index(item, _eval(_children(step)[0], scope))
        out.append(item)
    return out


def _function_call(node, scope):
    from lark import Token

    tokens = [c for c in node.children if isinstance(c, Token)]
    names = [c for c in _children(node) if c.data == "identifier"]
    if len(names) > 1 or any(t.type == "COLONS" for t in tokens):
        return Unknown({"provider function"})
    name = str(names[0].children[0])
    args_nodes = next((c for c in _children(node) if c.data == "arguments"), None)
    arg_exprs = _children(args_nodes) if args_nodes is not None else []
    expand = args_nodes is not None and any(isinstance(c, Token) and c.type == "ELLIPSIS"
                                            for c in args_nodes.children)
    if name == "try":
        return _try(arg_exprs, scope)
    if name == "can":
        try:
            value = _eval(arg_exprs[0], scope)
        except EvalError:
            return False
        return value if isinstance(value, Unknown) else True
    args = [_eval(a, scope) for a in arg_exprs]
    if expand and args:
        last = args.pop()
        if isinstance(last, Unknown):
            return last
        args.extend(to_list(last))
    function = FUNCTIONS.get(name)
    if function is None:
        return Unknown({f"{name}()"})
    problem = arity_problem(name, len(args))
    if problem:
        raise TerraformError(problem)
    return check_size(function(*args))


def _try(arg_exprs, scope):
    for arg in arg_exprs:
        try:
            return _eval(arg, scope)
        except EvalError:
            continue
    raise EvalError("no try() argument succeeded")


def _accepts(name: str) -> tuple[int, float]:
    """(fewest, most) arguments a built-in function takes."""
    import inspect

    fn = FUNCTIONS[name]
    fn = getattr(fn, "__wrapped__", fn)
    low, high = 0, 0.0
    for param in inspect.signature(fn).parameters.values():
        if param.kind is param.VAR_POSITIONAL:
            high = float("inf")
        else:
            high += 1
            if param.default is param.empty:
                low += 1
    return MIN_ARGS.get(name, low), high


_ACCEPTS: dict[str, tuple[int, float]] = {}


def arity_problem(name: str, count: int) -> str | None:
    """What is wrong with calling ``name`` with ``count`` arguments, or None."""
    if name not in _ACCEPTS:
        _ACCEPTS[name] = _accepts(name)
    low, high = _ACCEPTS[name]
    if low <= count <= high:
        return None
    if low == high:
        wanted = f"{low} argument{'s' if low != 1 else ''}"
    elif high == float("inf"):
        wanted = f"at least {low} argument{'s' if low != 1 else ''}"
    else:
        wanted = f"{low} to {int(high)} arguments"
    return f"{name}() takes {wanted}, got {count}"


def _conditional(node, scope):
    cond_node, yes_node, no_node = _children(node)
    cond = _eval(cond_node, scope)
    if isinstance(cond, Unknown):
        yes, no = _eval(yes_node, scope), _eval(no_node, scope)
        if yes == no and not isinstance(yes, Unknown):
            return yes
        return Unknown(cond.refs | (unknown_of(yes, no) or Unknown()).refs)
    return _eval(yes_node if to_bool(cond) else no_node, scope)


_BINARY = {
    "+": lambda a, b: to_number(a) + to_number(b),
    "-": lambda a, b: to_number(a) - to_number(b),
    "*": lambda a, b: to_number(a) * to_number(b),
    "/": lambda a, b: to_number(a) / to_number(b),
    "%": lambda a, b: to_number(a) % to_number(b),
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: to_number(a) < to_number(b),
    ">": lambda a, b: to_number(a) > to_number(b),
    "<=": lambda a, b: to_number(a) <= to_number(b),
    ">=": lambda a, b: to_number(a) >= to_number(b),
}


def _binary_op(node, scope):
    left_node, term = _children(node)[:2]
    operator_node, right_node = _children(term)[:2]
    op = str(operator_node.children[0])
    left = _eval(left_node, scope)
    if op in ("&&", "||"):
        if not isinstance(left, Unknown):
            if op == "&&" and not to_bool(left):
                return False
            if op == "||" and to_bool(left):
                return True
        right = _eval(right_node, scope)
        unknown = unknown_of(left, right)
        return unknown if unknown else to_bool(right)
    right = _eval(right_node, scope)
    unknown = unknown_of(left, right)
    if unknown:
        return unknown
    result = _BINARY[op](left, right)
    if isinstance(result, int) and not isinstance(result, bool):
        check_number(result)
    if isinstance(result, float) and result.is_integer() and op != "/":
        return int(result)
    return result


def _unary_op(node, scope):
    op = str(node.children[0])
    value = _eval(_children(node)[0], scope)
    if isinstance(value, Unknown):
        return value
    return -to_number(value) if op == "-" else not to_bool(value)


def _for_parts(node):
    from lark import Token

    intro = next(c for c in _children(node) if c.data == "for_intro")
    names = [str(c.children[0]) for c in _children(intro) if c.data == "identifier"]
    collection = [c for c in _children(intro) if c.data != "identifier"][0]
    rest = [c for c in _children(node) if c.data != "for_intro"]
    cond = next((c for c in rest if c.data == "for_cond"), None)
    exprs = [c for c in rest if c.data != "for_cond"]
    grouping = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
    return names, collection, exprs, cond, grouping


def _iterate(names, collection_value):
    if isinstance(collection_value, dict):  # lexical key order, as Terraform iterates maps
        pairs = sorted(collection_value.items())
    else:
        pairs = list(enumerate(to_list(collection_value)))
    for key, value in pairs:
        charge()
        yield {names[0]: key, names[1]: value} if len(names) == 2 else {names[0]: value}


def _for_scopes(node, scope):
    """The scopes of a ``for`` expression's iterations that pass its ``if``; Unknown if not knowable."""
    names, collection, exprs, cond, grouping = _for_parts(node)
    values = _eval(collection, scope)
    if isinstance(values, Unknown):
        return values, exprs, grouping
    scopes = []
    for bound in _iterate(names, values):
        inner = scope.child(bound)
        if cond is not None:
            keep = _eval(_children(cond)[0], inner)
            if isinstance(keep, Unknown):
                return keep, exprs, grouping
            if not to_bool(keep):
                continue
        scopes.append(inner)
    return scopes, exprs, grouping


def _for_tuple(node, scope):
    scopes, exprs, _ = _for_scopes(node, scope)
    if isinstance(scopes, Unknown):
        return scopes
    return check_size([_eval(exprs[0], inner) for inner in scopes])


def _for_object(node, scope):
    scopes, exprs, grouping = _for_scopes(node, scope)
    if isinstance(scopes, Unknown):
        return scopes
    out: dict = {}
    for inner in scopes:
        key = _eval(exprs[0], inner)
        if isinstance(key, Unknown):
            return key
        value = _eval(exprs[1], inner)
        if grouping:
            out.setdefault(to_str(key), []).append(value)
        else:
            out[to_str(key)] = value
    return check_size(out)


_HANDLERS: dict[str, Callable] = {
    "expr_term": _expr_term,
    "int_lit": _int_lit,
    "float_lit": _float_lit,
    "literal_value": _literal_value,
    "identifier": _identifier,
    "string": _string,
    "template_string": lambda node, scope: json.loads(str(node.children[0]).replace('\\"', '"')),
    "heredoc_template": _heredoc,
    "heredoc_template_trim": lambda node, scope: _heredoc(node, scope, trim=True),
    "tuple": _tuple,
    "object": _object,
    "get_attr_expr_term": _get_attr_expr,
    "index_expr_term": _index_expr,
    "attr_splat_expr_term": _splat,
    "full_splat_expr_term": _splat,
    "function_call": _function_call,
    "conditional": _conditional,
    "binary_op": _binary_op,
    "unary_op": _unary_op,
    "for_tuple_expr": _for_tuple,
    "for_object_expr": _for_object,
}


def reference_text(expr: Expr) -> str | None:
    """``aws_security_group.web.id`` for a plain reference expression, else None."""
    if expr.json:
        value = expr.node
        if isinstance(value, str):
            m = re.fullmatch(r"\$\{([A-Za-z_][\w.\-\[\]\"]*)\}", value.strip())
            return m.group(1) if m else None
        return None
    parts: list[str] = []
    node = expr.node
    while True:
        kids = _children(node)
        if node.data == "expr_term" and kids:
            node = kids[0]
        elif node.data == "get_attr_expr_term":
            parts.append(_accessor_name(kids[1]))
            node = kids[0]
        elif node.data == "index_expr_term":
            node = kids[0]
        elif node.data == "identifier":
            parts.append(str(node.children[0]))
            return ".".join(reversed(parts))
        else:
            return None


def as_tuple_items(expr: Expr) -> list[Expr] | None:
    """The element expressions of a tuple literal (for per-item positions), else None."""
    from portlint.parsers.terraform.hcl import tree_span
    from portlint.yamlpos import LocatedList

    if expr.json:
        if isinstance(expr.node, LocatedList):
            return [Expr(v, s, json=True) for v, s in zip(expr.node, expr.node.spans)]
        return None
    node = expr.node
    kids = _children(node)
    if node.data == "expr_term" and len(kids) == 1 and kids[0].data == "tuple":
        return [Expr(item, tree_span(item)) for item in _children(kids[0])]
    return None


# ----------------------------------------------------------------- type constraints
#
# A variable's ``type`` decides the value Terraform hands the module: an object type
# keeps only its own attributes and fills the optional ones left out (or null) with
# their ``optional(type, default)`` default, in nested objects and in lists, sets, maps
# and tuples of objects too. Types are read into small tuples:
#   ("any",) ("string",) ("number",) ("bool",)
#   ("list", T) ("set", T) ("map", T) ("tuple", [T, ...])
#   ("object", {name: (T, optional, default)})
# A type portlint cannot read is ("any",): the value passes unchanged.

ANY_TYPE = ("any",)
_PRIMITIVES = frozenset({"any", "string", "number", "bool"})
_COLLECTIONS = frozenset({"list", "set", "map"})


def type_constraint(expr: Expr) -> tuple:
    """The type a ``type = ...`` expression stands for (``("any",)`` when unreadable)."""
    try:
        if expr.json:  # .tf.json writes the type as a string holding the expression
            if not isinstance(expr.node, str) or len(expr.node) > limits.TF_STRING:
                return ANY_TYPE
            from portlint.parsers.terraform.hcl import load_hcl

            return _type_of(load_hcl(f"t = {expr.node}\n").attributes["t"].expr.node)
        return _type_of(expr.node)
    except (TerraformError, LimitExceeded):
        raise
    except Exception:
        return ANY_TYPE


def _type_of(node) -> tuple:
    charge()
    if node.data == "expr_term":
        inner = _children(node)
        return _type_of(inner[0]) if len(inner) == 1 else ANY_TYPE
    if node.data == "identifier":
        name = str(node.children[0])
        return (name,) if name in _PRIMITIVES else ANY_TYPE
    if node.data != "function_call":
        return ANY_TYPE
    names = [c for c in _children(node) if c.data == "identifier"]
    args_node = next((c for c in _children(node) if c.data == "arguments"), None)
    args = _children(args_node) if args_node is not None else []
    name = str(names[0].children[0]) if len(names) == 1 else ""
    if name in _COLLECTIONS and len(args) == 1:
        return (name, _type_of(args[0]))
    if name == "tuple" and len(args) == 1:
        items = _literal(args[0], "tuple")
        return ("tuple", [_type_of(item) for item in items]) if items is not None else ANY_TYPE
    if name == "object" and len(args) == 1:
        elems = _literal(args[0], "object")
        if elems is None:
            return ANY_TYPE
        attributes: dict[str, tuple] = {}
        for elem in elems:
            key_node, value_node = _children(elem)[0], _children(elem)[-1]
            key = _object_key(key_node, Scope(_no_type_names))
            if not isinstance(key, str):
                return ANY_TYPE
            attributes[key] = _attribute_type(value_node)
        return ("object", attributes)
    return ANY_TYPE


def _attribute_type(node) -> tuple:
    """(type, optional, default) of one object attribute: ``optional(string, "x")`` or a type."""
    inner = node
    while inner.data == "expr_term" and len(_children(inner)) == 1:
        inner = _children(inner)[0]
    if inner.data == "function_call":
        names = [c for c in _children(inner) if c.data == "identifier"]
        if len(names) == 1 and str(names[0].children[0]) == "optional":
            args_node = next((c for c in _children(inner) if c.data == "arguments"), None)
            args = _children(args_node) if args_node is not None else []
            if not args:
                return (ANY_TYPE, True, None)
            kind = _type_of(args[0])
            default = _eval(args[1], Scope(_no_type_names)) if len(args) > 1 else None
            if isinstance(default, Unknown):
                default = None
            return (kind, True, default)
    return (_type_of(node), False, None)


def _literal(node, data: str):
    """The children of a tuple or object literal (``[...]``, ``{...}``), else None."""
    while node.data == "expr_term" and len(_children(node)) == 1:
        node = _children(node)[0]
    return _children(node) if node.data == data else None


def _no_type_names(name: str) -> Any:
    raise KeyError(name)


def apply_type(kind: tuple, value: Any) -> Any:
    """``value`` as Terraform converts it to ``kind``: optional attributes filled with their
    defaults (recursively, the defaults themselves included), attributes outside an object
    type dropped, numbers and strings converted where the type asks. Unknown and null pass."""
    charge()
    if value is None or isinstance(value, Unknown) or kind[0] == "any":
        return value
    name = kind[0]
    if name == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return to_str(value)
        return value
    if name == "number":
        if isinstance(value, str):
            try:
                return to_number(value)
            except EvalError:
                return value
        return value
    if name in ("list", "set") and isinstance(value, list):
        return [apply_type(kind[1], item) for item in value]
    if name == "map" and isinstance(value, dict):
        return {key: apply_type(kind[1], item) for key, item in value.items()}
    if name == "tuple" and isinstance(value, list):
        return [apply_type(kind[1][i], item) if i < len(kind[1]) else item for i, item in enumerate(value)]
    if name == "object" and isinstance(value, dict):
        out: dict[str, Any] = {}
        for attribute, (attr_kind, optional, default) in kind[1].items():
            given = value.get(attribute)
            if given is None and optional:
                given = default  # omitted or null: the default (null when none is given)
            out[attribute] = apply_type(attr_kind, given)
        return out
    return value
