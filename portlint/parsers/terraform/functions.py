"""The Terraform built-in functions that show up around ports and CIDRs.

Each takes already-evaluated arguments; an Unknown argument makes the result
Unknown unless the function can do without it. ``try`` and ``can`` are special
(they need unevaluated arguments) and live in the evaluator.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import math
import os
from pathlib import Path
from typing import Any, Callable

from portlint import limits
from portlint.limits import LimitExceeded
from portlint.parsers.terraform.values import (
    EvalError, TerraformError, Unknown, charge, check_number, distinct, freeze, refs_in, to_bool, to_list, to_number,
    to_set, to_str, unknown_of,
)

#: Functions whose Python signature takes ``*args`` but Terraform wants at least this many.
MIN_ARGS = {"concat": 0, "merge": 0, "coalesce": 1, "coalescelist": 1, "range": 1, "format": 1,
            "formatlist": 1, "join": 2, "max": 1, "min": 1, "cidrsubnets": 2,
            "setunion": 1, "setintersection": 1, "setsubtract": 2}


def _too_long(length: int, what: str) -> None:
    if length > limits.TF_STRING:
        raise LimitExceeded(f"{what} of {length:,} characters", limits.TF_STRING, "TF_STRING")


def _weigh(value: Any) -> int:
    """Characters a value takes once written out (JSON), walked at a cost; refused beyond TF_STRING."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        charge()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, list):
            stack.extend(item)
            total += 2 + len(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                total += len(str(key)) + 4
                stack.append(inner)
        else:
            total += 8
        if total > limits.TF_STRING:
            _too_long(total, "a value written out")
    return total


def _strict(fn: Callable) -> Callable:
    """Unknown anywhere in the arguments makes the result Unknown."""
    @functools.wraps(fn)
    def wrapper(*args):
        refs = set().union(*(refs_in(a) for a in args)) if args else set()
        if refs or any(isinstance(a, Unknown) for a in args):
            return Unknown(refs)
        return fn(*args)
    return wrapper


def _concat(*lists):
    """Known elements stay known; an unknown list stands as one Unknown element."""
    out: list = []
    for value in lists:
        if isinstance(value, Unknown):
            out.append(value)
        else:
            out.extend(to_list(value))
        charge(len(out))
        if len(out) > limits.TF_COLLECTION:
            raise LimitExceeded("concat()'s result", limits.TF_COLLECTION, "TF_COLLECTION")
    return out


def _flatten(value):
    if isinstance(value, Unknown):
        return value
    out: list = []
    stack = [iter(to_list(value))]
    while stack:  # iterative: any nesting depth, every element charged
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
            continue
        charge()
        if isinstance(item, list):
            stack.append(iter(item))
        else:
            out.append(item)
            if len(out) > limits.TF_COLLECTION:
                raise LimitExceeded("flatten()'s result", limits.TF_COLLECTION, "TF_COLLECTION")
    return out


_END = object()


def _merge(*maps):
    unknown = unknown_of(*maps)
    if unknown:
        return unknown
    out: dict = {}
    for value in maps:
        if value is None:
            continue
        if not isinstance(value, dict):
            raise EvalError("merge takes maps or objects")
        out.update(value)
    return out


def _lookup(mapping, key, *default):
    unknown = unknown_of(mapping, key)
    if unknown:
        return unknown
    if not isinstance(mapping, dict):
        raise EvalError("lookup takes a map")
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise EvalError(f"key {key!r} not found")


def _element(values, index):
    unknown = unknown_of(values, index)
    if unknown:
        return unknown
    items = to_list(values)
    if not items:
        raise EvalError("element of an empty list")
    return items[int(to_number(index)) % len(items)]


def _coalesce(*values):
    for value in values:
        if isinstance(value, Unknown):
            return value
        if value is not None and value != "":
            return value
    raise EvalError("no non-null arguments")


def _coalescelist(*values):
    for value in values:
        if isinstance(value, Unknown):
            return value
        if to_list(value):
            return value
    raise EvalError("no non-empty lists")


def _range(*args):
    nums = [to_number(a) for a in args]
    if len(nums) == 1:
        start, end, step = 0, nums[0], 1
    elif len(nums) == 2:
        start, end, step = nums[0], nums[1], 1
    else:
        start, end, step = nums
    if step == 0:
        raise EvalError("range step must not be 0")
    if abs((end - start) / step) > limits.TF_COLLECTION:
        raise LimitExceeded(f"range() of {abs((end - start) / step):,.0f} elements", limits.TF_COLLECTION,
                            "TF_COLLECTION")
    out = []
    value = start
    while (step > 0 and value < end) or (step < 0 and value > end):
        out.append(value)
        value += step
    return out


def _format(fmt, *args):
    out, i, n, arg = [], 0, len(fmt), 0
    while i < n:
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        j = i + 1
        while j < n and fmt[j] in "#+-0 .123456789":
            j += 1
        if j >= n:
            raise EvalError("bad format string")
        verb = fmt[j]
        for number in fmt[i + 1:j].replace("-", " ").replace("+", " ").replace("#", " ").replace(".", " ").split():
            if len(number) > 7 or int(number) > limits.TF_STRING:
                _too_long(10 ** min(len(number), 12), "a format() width")
            if "." in fmt[i + 1:j] and int(number) > 100:
                raise EvalError("format precision too large")
        if verb == "%":
            out.append("%")
        else:
            if arg >= len(args):
                raise EvalError("not enough format arguments")
            value = args[arg]
            arg += 1
            if verb == "d":
                out.append(str(int(to_number(value))))
            elif verb in "fge":
                out.append(("%" + fmt[i + 1:j + 1]) % to_number(value))
            elif verb == "q":
                out.append(json.dumps(to_str(value)))
            else:
                if isinstance(value, (list, dict)):
                    _weigh(value)
                out.append(to_str(value) if not isinstance(value, (list, dict)) else json.dumps(value))
        charge(1 + len(out[-1]) // 64 if out else 1)
        i = j + 1
    _too_long(sum(map(len, out)), "format()'s result")
    return "".join(out)


def _cidrsubnet(prefix, newbits, netnum):
    net = ipaddress.ip_network(to_str(prefix), strict=False)
    new_prefix = net.prefixlen + int(to_number(newbits))
    if not net.prefixlen <= new_prefix <= net.max_prefixlen:
        raise EvalError(f"cidrsubnet: cannot extend /{net.prefixlen} by {newbits} bits")
    subnets = net.subnets(new_prefix=new_prefix)
    size = 2 ** (new_prefix - net.prefixlen)
    index = int(to_number(netnum))
    if not 0 <= index < size:
        raise EvalError("cidrsubnet: netnum out of range")
    base = int(net.network_address) + index * (2 ** (net.max_prefixlen - new_prefix))
    del subnets
    return str(ipaddress.ip_network((base, new_prefix)))


def _cidrsubnets(prefix, *newbits):
    net = ipaddress.ip_network(to_str(prefix), strict=False)
    out, cursor = [], int(net.network_address)
    for bits in newbits:
        plen = net.prefixlen + int(to_number(bits))
        if not net.prefixlen <= plen <= net.max_prefixlen:
            raise EvalError(f"cidrsubnets: cannot extend /{net.prefixlen} by {bits} bits")
        size = 2 ** (net.max_prefixlen - plen)
        cursor = (cursor + size - 1) // size * size
        out.append(str(ipaddress.ip_network((cursor, plen))))
        cursor += size
    return out


def _cidrhost(prefix, hostnum):
    net = ipaddress.ip_network(to_str(prefix), strict=False)
    num = int(to_number(hostnum))
    base = net.broadcast_address + 1 if num < 0 else net.network_address
    return str(base + num)


def _cidrnetmask(prefix):
    return str(ipaddress.ip_network(to_str(prefix), strict=False).netmask)


def _slice(values, start, end):
    return to_list(values)[int(to_number(start)):int(to_number(end))]


def _index(values, value):
    items = to_list(values)
    if value not in items:
        raise EvalError("value not in list")
    return items.index(value)


def _one(values):
    items = to_list(values)
    if len(items) > 1:
        raise EvalError("one() takes at most one element")
    return items[0] if items else None


def _tostring(value):
    return None if value is None else to_str(value)


def _tonumber(value):
    return None if value is None else to_number(value)


def _tomap(value):
    if not isinstance(value, dict):
        raise EvalError("tomap takes an object")
    return dict(value)


def _split(sep, text):
    text = to_str(text)
    return [] if text == "" else text.split(to_str(sep))


def _zipmap(keys, values):
    return dict(zip((to_str(k) for k in to_list(keys)), to_list(values)))


def _sort(values):
    return sorted(to_str(v) for v in to_list(values))


def _setop(op):
    def run(*sets):
        if not sets:
            raise EvalError("a set function needs at least one set")
        lists = [to_set(s) for s in sets]
        originals = {freeze(v): v for items in lists for v in items}
        result = set(map(freeze, lists[0]))
        for other in lists[1:]:
            result = op(result, set(map(freeze, other)))
        return to_set([originals[v] for v in result])
    return run


def _length(value):
    if isinstance(value, Unknown):
        return value
    if isinstance(value, (list, dict, str)):
        return len(value)
    raise EvalError("length takes a collection or string")


def _keys(value):
    if not isinstance(value, dict):
        raise EvalError("keys takes a map")
    return sorted(value)


def _values(value):
    if not isinstance(value, dict):
        raise EvalError("values takes a map")
    return [value[k] for k in sorted(value)]


def _contains(values, value):
    return value in to_list(values)


def _distinct(values):
    return distinct(to_list(values))


def _join(sep, *lists):
    sep = to_str(sep)
    parts = [to_str(x) for lst in lists for x in to_list(lst)]
    _too_long(sum(map(len, parts)) + len(sep) * max(len(parts) - 1, 0), "join()'s result")
    return sep.join(parts)


def _replace(text, old, new):
    text, old, new = to_str(text), to_str(old), to_str(new)
    if len(new) > len(old):
        hits = len(text) + 1 if old == "" else text.count(old)
        _too_long(len(text) + hits * (len(new) - len(old)), "replace()'s result")
    return text.replace(old, new)


def _pow(base, exponent):
    a, b = to_number(base), to_number(exponent)
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        if b * math.log10(abs(a)) > limits.TF_NUMBER_DIGITS:
            raise LimitExceeded("pow()'s result", limits.TF_NUMBER_DIGITS, "TF_NUMBER_DIGITS")
    return float(a) ** float(b) if abs(b) > 10_000 else a ** b


def _formatlist(fmt, *args):
    length = max((len(a) for a in args if isinstance(a, list)), default=1)
    columns = [to_list(a) if isinstance(a, list) else [a] * length for a in args]
    if any(len(c) != length for c in columns):
        raise EvalError("formatlist: lists of different lengths")
    rows = []
    for row in zip(*columns) if columns else [()]:
        rows.append(_format(to_str(fmt), *row))
    return rows


def _jsonencode(value):
    _weigh(value)
    return json.dumps(value, separators=(",", ":"))


def _chunklist(values, size):
    items, n = to_list(values), int(to_number(size))
    if n <= 0:
        return [items] if items else []
    return [items[i:i + n] for i in range(0, len(items), n)]


# --------------------------------------------------------------------------- files

#: steps one file() read costs besides its size: bounds the reads one block can make
FILE_READ_STEPS = 200
#: texts kept per run for repeated reads of the same file (small files only)
_CACHE_ENTRIES = 64
_CACHE_CHARS = 64 * 1024


class FileAccess:
    """How ``file()`` and its kin may read: through the parse context's reader (inside the
    project root, regular files, size-limited), relative paths from the root module's folder
    (Terraform's working directory)."""

    def __init__(self, read_text: Callable[[Path], str | None], base: Path,
                 inside: Callable[[Path], bool] = lambda path: True):
        self.read_text, self.base, self.inside = read_text, base, inside
        self.cache: dict[Path, str | None] = {}

    def path(self, name: str, function: str) -> Path:
        if not name or "\x00" in name:
            raise TerraformError(f"{function}(): an empty or invalid path")
        path = Path(name)
        path = Path(os.path.normpath(path if path.is_absolute() else self.base / path))
        if not self.inside(path):
            raise TerraformError(f"{function}({json.dumps(name)}): it is outside the project root; "
                                 "portlint reads nothing outside the checked project")
        return path

    def read(self, name: str, function: str) -> str | None:
        """The file's text, None when it does not exist; TerraformError when it may not be read."""
        from portlint.inputs import ReadRefused

        path = self.path(name, function)
        charge(FILE_READ_STEPS)
        if path in self.cache:
            text = self.cache[path]
        else:
            try:
                text = self.read_text(path)
            except ReadRefused as exc:
                raise TerraformError(f"{function}({json.dumps(name)}): {exc.reason}") from None
            if text is None or (len(text) <= _CACHE_CHARS and len(self.cache) < _CACHE_ENTRIES):
                self.cache[path] = text
        if text is not None:
            _too_long(len(text), f"{function}({json.dumps(name)})")
            charge(len(text) // 64)
        return text


_ACCESS: list[FileAccess | None] = []


class file_access:
    """``with file_access(access):`` lets the evaluation inside read files through ``access``;
    without one (tfvars, tests), file functions give Unknown."""

    def __init__(self, access: FileAccess | None):
        self.access = access

    def __enter__(self) -> FileAccess | None:
        _ACCESS.append(self.access)
        return self.access

    def __exit__(self, *exc) -> None:
        _ACCESS.pop()


def _access() -> FileAccess | None:
    return _ACCESS[-1] if _ACCESS else None


def _file(name):
    access = _access()
    if access is None:
        return Unknown({"file()"})
    text = access.read(to_str(name), "file")
    if text is None:
        raise TerraformError(f"file({json.dumps(to_str(name))}): no such file")
    return text


def _fileexists(name):
    access = _access()
    if access is None:
        return Unknown({"fileexists()"})
    path = access.path(to_str(name), "fileexists")
    if os.path.isdir(path):
        raise TerraformError(f"fileexists({json.dumps(to_str(name))}): a folder, not a file")
    return access.read(to_str(name), "fileexists") is not None


def _templatefile(name, variables):
    access = _access()
    if access is None:
        return Unknown({"templatefile()"})
    if not isinstance(variables, dict):
        raise TerraformError("templatefile() takes a map of variables as its second argument")
    text = access.read(to_str(name), "templatefile")
    if text is None:
        raise TerraformError(f"templatefile({json.dumps(to_str(name))}): no such file")
    from portlint.parsers.terraform.evaluate import render_template

    return render_template(text, variables)


def _jsondecode(text):
    text = to_str(text)
    _too_long(len(text), "jsondecode()'s argument")
    charge(1 + len(text) // 64)
    if text.count("[") + text.count("{") > limits.YAML_DEPTH and _json_depth(text) > limits.YAML_DEPTH:
        raise LimitExceeded("jsondecode()'s nesting", limits.YAML_DEPTH, "YAML_DEPTH")  # as yamldecode's
    try:
        value = json.loads(text)
    except RecursionError:
        raise LimitExceeded("jsondecode()'s nesting", limits.YAML_DEPTH, "YAML_DEPTH") from None
    except ValueError as exc:
        raise TerraformError(f"jsondecode(): invalid JSON: {exc}") from None
    _weigh(value)
    return value


def _json_depth(text: str) -> int:
    """The deepest bracket nesting of JSON text, strings skipped (one linear pass)."""
    depth = deepest = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
        i += 1
    return deepest


def _yamldecode(text):
    from portlint.yamlpos import load_single

    text = to_str(text)
    _too_long(len(text), "yamldecode()'s argument")
    charge(1 + len(text) // 64)
    value, errors = load_single(text)
    if errors:
        raise TerraformError(f"yamldecode(): invalid YAML at line {errors[0].line}: {errors[0].message}")
    _weigh(value)
    return _plain(value)


def _plain(value):
    """A YAML value with its position classes dropped (iterative: any depth)."""
    root: list = [None]
    stack = [(value, root, 0)]
    while stack:
        item, holder, key = stack.pop()
        if isinstance(item, dict):
            out: Any = {}
            for k, v in item.items():
                out[to_str(k) if not isinstance(k, str) else str(k)] = None
                stack.append((v, out, str(k) if isinstance(k, str) else to_str(k)))
        elif isinstance(item, list):
            out = [None] * len(item)
            stack.extend((v, out, i) for i, v in enumerate(item))
        elif isinstance(item, str):
            out = str(item)
        else:
            out = item
        holder[key] = out
    return root[0]


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # collections (handle Unknown elements themselves where that is safe)
    "concat": _concat,
    "flatten": _flatten,
    "merge": _merge,
    "lookup": _lookup,
    "element": _element,
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "length": _length,
    "tolist": lambda v: v if isinstance(v, Unknown) else to_list(v),
    "toset": lambda v: v if isinstance(v, Unknown) else to_set(v),
    "compact": _strict(lambda v: [x for x in to_list(v) if x not in ("", None)]),
    "distinct": _strict(_distinct),
    "contains": _strict(_contains),
    "keys": _strict(_keys),
    "values": _strict(_values),
    "reverse": _strict(lambda v: list(reversed(to_list(v)))),
    "sort": _strict(_sort),
    "slice": _strict(_slice),
    "index": _strict(_index),
    "one": _strict(_one),
    "range": _strict(_range),
    "zipmap": _strict(_zipmap),
    "setunion": _strict(_setop(set.union)),
    "setintersection": _strict(_setop(set.intersection)),
    "setsubtract": _strict(_setop(set.difference)),
    "alltrue": _strict(lambda v: all(to_bool(x) for x in to_list(v))),
    "anytrue": _strict(lambda v: any(to_bool(x) for x in to_list(v))),
    "sum": _strict(lambda v: sum(to_number(x) for x in to_list(v))),
    "chunklist": _strict(_chunklist),
    "tomap": _strict(_tomap),
    "tobool": _strict(lambda v: None if v is None else to_bool(v)),
    "tonumber": _strict(_tonumber),
    "tostring": _strict(_tostring),
    # strings
    "format": _strict(lambda fmt, *a: _format(to_str(fmt), *a)),
    "formatlist": _strict(_formatlist),
    "join": _strict(_join),
    "split": _strict(_split),
    "lower": _strict(lambda s: to_str(s).lower()),
    "upper": _strict(lambda s: to_str(s).upper()),
    "title": _strict(lambda s: to_str(s).title()),
    "trimspace": _strict(lambda s: to_str(s).strip()),
    "trim": _strict(lambda s, chars: to_str(s).strip(to_str(chars))),
    "trimprefix": _strict(lambda s, p: to_str(s)[len(to_str(p)):] if to_str(s).startswith(to_str(p)) else to_str(s)),
    "trimsuffix": _strict(lambda s, p: to_str(s)[:-len(to_str(p))] if p and to_str(s).endswith(to_str(p))
                          else to_str(s)),
    "chomp": _strict(lambda s: to_str(s).rstrip("\r\n")),
    "replace": _strict(_replace),
    "substr": _strict(lambda s, o, n: to_str(s)[int(to_number(o)):][: (None if int(to_number(n)) < 0
                                                                    else int(to_number(n)))]),
    "strrev": _strict(lambda s: to_str(s)[::-1]),
    "startswith": _strict(lambda s, p: to_str(s).startswith(to_str(p))),
    "endswith": _strict(lambda s, p: to_str(s).endswith(to_str(p))),
    "strcontains": _strict(lambda s, p: to_str(p) in to_str(s)),
    "jsonencode": _strict(_jsonencode),
    "jsondecode": _strict(_jsondecode),
    "yamldecode": _strict(_yamldecode),
    # files: read through the parse context only (see FileAccess)
    "file": _strict(_file),
    "fileexists": _strict(_fileexists),
    "templatefile": _strict(_templatefile),
    # numbers
    "abs": _strict(lambda n: abs(to_number(n))),
    "ceil": _strict(lambda n: math.ceil(to_number(n))),
    "floor": _strict(lambda n: math.floor(to_number(n))),
    "max": _strict(lambda *n: max(to_number(x) for x in n)),
    "min": _strict(lambda *n: min(to_number(x) for x in n)),
    "parseint": _strict(lambda s, b: int(to_str(s), int(to_number(b)))),
    "pow": _strict(_pow),
    "signum": _strict(lambda n: (to_number(n) > 0) - (to_number(n) < 0)),
    # networks
    "cidrsubnet": _strict(_cidrsubnet),
    "cidrsubnets": _strict(_cidrsubnets),
    "cidrhost": _strict(_cidrhost),
    "cidrnetmask": _strict(_cidrnetmask),
}
