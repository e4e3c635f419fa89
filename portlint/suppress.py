"""Inline suppressions: comments (and Kubernetes annotations) that silence findings.

    - "5432:5432"   # portlint: disable=PL101 -- until 2027-06-30: staging only, firewalled upstream
    # portlint: disable-next-line=risky-service-public -- lab network
    # portlint: disable-file=PL401 -- partner ports, see the runbook

``#`` and ``//`` comments both work (YAML, HCL, tfvars). ``disable`` applies to
findings whose element spans the comment's line; ``disable-next-line`` to the
line below; ``disable-file`` to the whole file. Without ``=CODES`` every rule
is silenced. Codes and kebab names are both accepted, in any case, separated
by commas or spaces. After ``--`` comes an optional ``until YYYY-MM-DD:`` and
the reason. Kubernetes objects may carry the annotation
``portlint.dev/disable: "PL101: reason"`` (``CODES[: until DATE][: reason]``),
which silences those rules for the whole object and survives ``helm template``.

A suppression is governed:

- after its expiry date it silences nothing, and the finding says it expired;
- with ``require-reason`` set, one without a reason silences nothing, and the
  finding says why;
- a misspelled directive, an unknown code, and a suppression that silences
  nothing are reported as findings of their own (``PL601 suppression-hygiene``),
  so a typo can never quietly leave a finding open or a stale comment behind.

Directives are found with plain string operations, linear in the size of the
file (no regular expression that could backtrack on a hostile line). Findings
are matched against an index of the directives (bisection), and "silences
nothing" is decided with one sweep per rule, so many findings and many
directives stay cheap.
"""

from __future__ import annotations

import dataclasses
import difflib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Mapping

from portlint.model import Finding

MARKER = "portlint:"
#: longest first, so ``disable-file`` is not read as ``disable``
KINDS = ("disable-next-line", "disable-file", "disable")
#: how many ``portlint:`` mentions after a comment sign one line may try (keeps hostile lines linear)
TRIES_PER_LINE = 4
#: the Kubernetes annotation that suppresses findings on its object
ANNOTATION = "portlint.dev/disable"
#: every annotation key under it is portlint's: an unknown one is a misspelling (PL601)
ANNOTATION_PREFIX = "portlint.dev/"
#: the rule that reports bad and unused suppressions (see portlint.checks.hygiene)
HYGIENE = "PL601"
#: every rule, in a directive's index
ALL = "*"


@dataclass(frozen=True, slots=True)
class Waiver:
    """Why a finding is not open: an inline ``comment``, an ``annotation``, or ``accepted`` in configuration."""

    how: str
    reason: str
    file: str
    line: int
    expires: date | None = None

    def to_dict(self) -> dict:
        return {"how": self.how, "reason": self.reason, "file": self.file, "line": self.line,
                "expires": self.expires.isoformat() if self.expires else None}


@dataclass(frozen=True, slots=True)
class Problem:
    """A bad or unused suppression, reported as a PL601 finding at its own line."""

    file: str
    line: int
    message: str
    column: int = 1


@dataclass(eq=False, slots=True)
class Directive:
    kind: str  # a KINDS entry, or "object" for a Kubernetes annotation
    line: int
    codes: frozenset[str]  # as written; empty: every rule
    reason: str
    expires: date | None = None
    column: int = 1
    #: last line covered ("object": the annotated object's last line)
    end: int = 0
    file: str = ""
    #: the line it is written on when that is not ``line`` (an annotation inside its object)
    at: int = 0
    #: an ``until`` that is not a real date, as written: the directive then silences nothing
    bad_expiry: str = ""

    def covers(self, finding: Finding) -> bool:
        """Whether this directive's place and codes match ``finding`` (codes as written)."""
        if self.codes and not {c.lower() for c in self.codes} & {finding.rule_id.lower(), finding.rule_name.lower()}:
            return False
        loc = finding.location
        if self.kind == "disable-file":
            return True
        if self.kind == "disable-next-line":
            return loc.line == self.line + 1
        if self.kind == "object":
            return self.line <= loc.line <= self.end
        return loc.line <= self.line <= max(loc.end_line, loc.line)


_CODE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def _is_code(token: str) -> bool:
    return not token.strip(_CODE_CHARS)  # nothing left: only letters, digits, _ and -


def parse_reason(text: str) -> tuple[str, date | None, str | None]:
    """(reason, expiry, problem) for the text after ``--``: ``until YYYY-MM-DD: reason`` or ``reason``."""
    text = text.strip()
    if not text.lower().startswith("until"):
        return text, None, None
    rest = text[5:].strip()
    stamp, _, reason = rest.partition(":") if ":" in rest[:12] else (rest[:10], "", rest[10:])
    stamp = stamp.strip()
    try:
        if len(stamp) != 10:
            raise ValueError
        expires = date.fromisoformat(stamp)
    except ValueError:
        return text, None, f"expiry {stamp[:20]!r} is not a date like 2027-06-30"
    return reason.strip(), expires, None


def parse_directive(text: str) -> tuple[str, frozenset[str], str] | None:
    """(kind, codes, reason) for what follows ``portlint:`` in a comment, or None if malformed.

    The reason is the whole text after ``--`` (an expiry in it is read by ``parse_reason``).
    """
    found = _parse(text)
    return None if isinstance(found, str) else found


def _parse(text: str) -> tuple[str, frozenset[str], str] | str:
    """The directive, or a message saying why the text is not one."""
    rest = text.lstrip()
    for kind in KINDS:
        if rest.lower().startswith(kind):
            after = rest[len(kind):]
            # a whole word ("disable-fle" is a misspelled directive, not "disable" and junk)
            if not after or not (after[0].isalnum() or after[0] == "_" or (after[0] == "-" and after[1:2].isalpha())):
                break
    else:
        word = rest[:40].replace("=", " ").replace("--", " ").split()
        word = word[0] if word else ""
        guess = difflib.get_close_matches(word.lower(), KINDS, n=1, cutoff=0.6)
        hint = f" (did you mean {guess[0]!r}?)" if guess else f" (expected one of {', '.join(KINDS)})"
        return f"unknown portlint directive {word[:30]!r}{hint}; it suppresses nothing"
    after = after.lstrip()
    codes_text, reason = "", ""
    if after.startswith("="):
        codes_text, _, reason = after[1:].partition("--")
        tokens = codes_text.replace(",", " ").split()
        if not tokens or not _is_code("".join(tokens)):
            return (f"malformed {kind} directive: expected {kind}=CODES (codes or rule names, separated "
                    "by commas) and an optional '-- reason'; it suppresses nothing")
        codes = frozenset(tokens)
    elif after.startswith("--"):
        codes, reason = frozenset(), after[2:]
    elif after.strip():
        return (f"malformed {kind} directive: expected '=' or '--' after {kind!r}; "
                "it suppresses nothing")
    else:
        codes = frozenset()
    if any(c.lower() == "all" for c in codes):
        codes = frozenset()
    return kind, codes, reason.strip()


def _line_directive(line: str) -> tuple[tuple[str, frozenset[str], str] | str, int] | None:
    """The directive in a line and its column: ``portlint:`` right after ``#`` or ``//``
    (spaces between allowed). A malformed one is returned as its problem message."""
    low, tries, first_problem = 0, 0, None
    while tries < TRIES_PER_LINE:
        at = line.find(MARKER, low)
        if at < 0:
            break
        head = line[low:at].rstrip()
        if head.endswith("#") or head.endswith("//"):
            tries += 1
            found = _parse(line[at + len(MARKER):])
            column = len(head) - (2 if head.endswith("//") else 1) + low + 1
            if not isinstance(found, str):
                return found, column
            first_problem = first_problem or (found, column)
        low = at + len(MARKER)
    return first_problem


def scan(text: str, file: str = "") -> tuple[list[Directive], list[Problem]]:
    """Every portlint directive in a file's text, and every malformed one (cheap: only lines
    that mention portlint)."""
    found: list[Directive] = []
    problems: list[Problem] = []
    if MARKER not in text:
        return found, problems
    for number, line in enumerate(text.splitlines(), start=1):
        if MARKER not in line:
            continue
        parsed = _line_directive(line)
        if parsed is None:
            continue
        what, column = parsed
        if isinstance(what, str):
            problems.append(Problem(file, number, what, column))
            continue
        kind, codes, raw_reason = what
        reason, expires, bad = parse_reason(raw_reason)
        if bad:
            problems.append(Problem(file, number, f"{bad}; the suppression silences nothing", column))
        found.append(Directive(kind, number, codes, reason, expires, column, file=file, bad_expiry=bad or ""))
    return found, problems


def directives(text: str) -> list[Directive]:
    """Every well-formed portlint directive in a file's text."""
    return scan(text)[0]


def annotation_directives(text: str, file: str) -> tuple[list[Directive], list[Problem]]:
    """``portlint.dev/disable`` annotations of the Kubernetes objects in a YAML text."""
    if ANNOTATION_PREFIX not in text:
        return [], []
    from portlint.limits import LimitExceeded
    from portlint.yamlpos import load_documents

    try:
        documents, _ = load_documents(text)
    except (LimitExceeded, RecursionError):
        return [], []  # the parser reports the file; an annotation cannot silence what was not read
    found: list[Directive] = []
    problems: list[Problem] = []
    stack = [d for d in reversed(documents) if isinstance(d, dict)]
    while stack:
        obj = stack.pop()
        if obj.get("kind") == "List" and isinstance(obj.get("items"), list):
            stack.extend(item for item in reversed(obj["items"]) if isinstance(item, dict))
            continue
        meta = obj.get("metadata")
        notes = meta.get("annotations") if isinstance(meta, dict) else None
        if not isinstance(notes, dict):
            continue
        for key in notes:
            if isinstance(key, str) and key.lower().startswith(ANNOTATION_PREFIX) and key != ANNOTATION:
                spot = getattr(notes, "spans", {}).get(key) if hasattr(notes, "spans") else None
                problems.append(Problem(file, spot.line if spot is not None else 1,
                                        f"unknown annotation {key[:60]!r} (did you mean {ANNOTATION}?); "
                                        "it suppresses nothing", spot.column if spot is not None else 1))
        if ANNOTATION not in notes:
            continue
        span = getattr(obj, "span", None)
        at = getattr(notes, "spans", {}).get(ANNOTATION) if hasattr(notes, "spans") else None
        line = at.line if at is not None else (span.line if span else 1)
        column = at.column if at is not None else 1
        value = notes[ANNOTATION]
        if not isinstance(value, str):
            problems.append(Problem(file, line, f"annotation {ANNOTATION} must be a string like "
                                                "'PL101: reason'; it suppresses nothing", column))
            continue
        codes_text, _, raw_reason = value.partition(":")
        tokens = codes_text.replace(",", " ").split()
        if tokens and not _is_code("".join(tokens)):
            problems.append(Problem(file, line, f"annotation {ANNOTATION}: {codes_text.strip()[:40]!r} is not a list "
                                                "of rule codes; write 'PL101: reason'; it suppresses nothing", column))
            continue
        if not tokens:  # "" or ": reason": silencing every rule takes an explicit "all"
            problems.append(Problem(file, line, f"annotation {ANNOTATION} names no rule code; write 'PL101: reason' "
                                                "(or 'all: reason' for every rule); it suppresses nothing", column))
            continue
        codes = frozenset(tokens)
        if any(c.lower() == "all" for c in codes):
            codes = frozenset()
        reason, expires, bad = parse_reason(raw_reason)
        if bad:
            problems.append(Problem(file, line, f"{bad}; the suppression silences nothing", column))
        first, last = (span.line, span.end_line) if span else (1, 1 << 30)
        found.append(Directive("object", first, codes, reason, expires, column, end=last, file=file, at=line,
                               bad_expiry=bad or ""))
    return found, problems


def _where(d: Directive) -> int:
    """The line a directive is written on."""
    return d.at or d.line


class _Index:
    """One file's directives, indexed by canonical code (or ALL) and place."""

    def __init__(self, found: list[Directive], canon: Mapping[Directive, frozenset[str]]):
        self.whole: dict[str, list[Directive]] = {}
        self.next_line: dict[tuple[str, int], list[Directive]] = {}
        self.same: dict[str, tuple[list[int], list[Directive]]] = {}
        self.objects: dict[str, tuple[list[int], list[Directive]]] = {}
        same: dict[str, list[Directive]] = {}
        objects: dict[str, list[Directive]] = {}
        for d in found:
            for key in canon[d] or (ALL,):
                if d.kind == "disable-file":
                    self.whole.setdefault(key, []).append(d)
                elif d.kind == "disable-next-line":
                    self.next_line.setdefault((key, d.line + 1), []).append(d)
                elif d.kind == "object":
                    objects.setdefault(key, []).append(d)
                else:
                    same.setdefault(key, []).append(d)
        for key, items in same.items():
            items.sort(key=lambda d: d.line)
            self.same[key] = ([d.line for d in items], items)
        for key, items in objects.items():
            items.sort(key=lambda d: d.line)
            self.objects[key] = ([d.line for d in items], items)

    def matching(self, finding: Finding, keys: tuple[str, ...] | None = None) -> Iterable[Directive]:
        """The directives that cover ``finding``, at most a few per kind (the first found)."""
        loc = finding.location
        first, last = loc.line, max(loc.end_line, loc.line)
        for key in keys or (ALL, finding.rule_id):
            yield from self.whole.get(key, ())[:2]
            yield from self.next_line.get((key, first), ())[:2]
            lines_items = self.same.get(key)
            if lines_items:
                lines, items = lines_items
                i = bisect_left(lines, first)
                j = bisect_right(lines, last)
                yield from items[i:min(j, i + 2)]
            lines_items = self.objects.get(key)
            if lines_items:
                lines, items = lines_items
                i = bisect_right(lines, first) - 1
                if i >= 0 and items[i].end >= first:
                    yield items[i]


class DirectiveIndex:
    """The directives of one file with their codes as written (code or name, exact case)."""

    def __init__(self, found: list[Directive]):
        self._index = _Index(found, {d: d.codes for d in found})

    def covers(self, finding: Finding) -> bool:
        return next(iter(self._index.matching(finding, (ALL, finding.rule_id, finding.rule_name))), None) is not None


@dataclass
class Settled:
    """What suppressions made of the findings."""

    kept: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    waivers: dict[Finding, Waiver] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _suggest(token: str, known: Mapping[str, str]) -> str:
    prefix = token.upper()
    under = sorted(code for code in set(known.values()) if code.upper().startswith(prefix) and code.upper() != prefix)
    if under:  # "PL1": --select takes prefixes, a suppression names codes (a near code would mislead)
        return f" ({token[:40]} is a prefix; name the code, e.g. {under[0]})"
    guess = difflib.get_close_matches(token.lower(), list(known), n=1, cutoff=0.6)
    return f" (did you mean {known[guess[0]]}?)" if guess else ""


def _why_not(d: Directive, today: date, require_reason: bool) -> str | None:
    if d.bad_expiry:  # fail closed: a date nobody can read must not make a suppression permanent
        return f"the suppression at line {_where(d)} silences nothing: its {d.bad_expiry}"
    if d.expires is not None and d.expires < today:
        return f"the suppression at line {_where(d)} expired on {d.expires.isoformat()}"
    if require_reason and not d.reason:
        return f"the suppression at line {_where(d)} has no reason (require-reason is set)"
    return None


def settle(findings: list[Finding], texts: Mapping[str, str], known: Mapping[str, str],
           ran: Iterable[str] = (), today: date | None = None, require_reason: bool = False,
           kubernetes_files: Iterable[str] = ()) -> Settled:
    """Apply the suppressions in ``texts`` (file -> text) to ``findings``.

    ``known`` maps every rule code and name, lower-cased, to its code; ``ran``
    holds the codes of the rules that ran (a suppression of a rule that did not
    run is not called unused); ``kubernetes_files`` are read for annotations too.
    """
    today = today or date.today()
    ran = set(ran) or {f.rule_id for f in findings}
    k8s = set(kubernetes_files)
    out = Settled()
    files = sorted(set(texts) | {f.location.file for f in findings})
    indexes: dict[str, _Index] = {}
    all_directives: dict[str, list[Directive]] = {}
    canon: dict[Directive, frozenset[str]] = {}
    quiet: set[str] = set()  # files whose PL601 findings are silenced by a disable-file
    for file in files:
        text = texts.get(file, "")
        found, problems = scan(text, file)
        if file in k8s:
            more, bad = annotation_directives(text, file)
            found += more
            problems += bad
        if not found:  # most files: nothing to index, nothing to call unused
            out.problems += problems
            continue
        for d in found:
            codes = set()
            for token in d.codes:
                code = known.get(token.lower())
                if code is None:
                    problems.append(Problem(file, _where(d), f"unknown rule {token[:40]!r} in a suppression"
                                                              f"{_suggest(token, known)}; it suppresses nothing",
                                            d.column))
                else:
                    codes.add(code)
            canon[d] = frozenset(codes)
        found = [d for d in found if canon[d] or not d.codes]  # only unknown codes: silences nothing
        all_directives[file] = found
        indexes[file] = _Index(found, canon)
        if any(d.kind == "disable-file" and (not canon[d] or HYGIENE in canon[d]) and not _why_not(d, today, require_reason)
               for d in found):
            quiet.add(file)
        out.problems += problems
    notes: dict[Finding, str] = {}
    for finding in findings:
        index = indexes.get(finding.location.file)
        candidates = list(index.matching(finding)) if index else []
        valid = next((d for d in candidates if _why_not(d, today, require_reason) is None), None)
        if valid is not None:
            out.suppressed.append(finding)
            out.waivers[finding] = Waiver("annotation" if valid.kind == "object" else "comment", valid.reason,
                                          finding.location.file, _where(valid), valid.expires)
        elif candidates:
            why = _why_not(candidates[0], today, require_reason)
            out.kept.append(dataclasses.replace(finding, message=f"{finding.message} ({why})"))
        else:
            out.kept.append(finding)
    out.problems += _unused(findings, all_directives, canon, ran)
    out.problems = [p for p in out.problems if p.file not in quiet]
    out.problems.sort(key=lambda p: (p.file, p.line, p.column, p.message))
    return out


def _unused(findings: list[Finding], by_file: Mapping[str, list[Directive]],
            canon: Mapping[Directive, frozenset[str]], ran: set[str]) -> list[Problem]:
    """A problem for each directive (and code in it) that covers no finding, expired or not."""
    raw: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for f in findings:
        loc = f.location
        if not by_file.get(loc.file):
            continue  # no directive in its file to be covered by it
        for key in (f.rule_id, ALL):
            raw.setdefault((loc.file, key), []).append((loc.line, max(loc.end_line, loc.line)))
    spans = {key: _Spans(items) for key, items in raw.items()}
    empty = _Spans([])
    problems = []
    for file, found in by_file.items():
        for d in found:
            keys = canon[d] or frozenset({ALL})
            if HYGIENE in keys:
                continue
            idle = [k for k in sorted(keys) if (k == ALL or k in ran) and not spans.get((file, k), empty).covered_by(d)]
            if len(idle) == len(keys):
                what = "every rule" if keys == {ALL} else ", ".join(sorted(keys))
                problems.append(Problem(file, _where(d), f"unused suppression: {d.kind} of {what} matches no "
                                                          "finding; remove it", d.column))
            elif idle:
                problems.append(Problem(file, _where(d), f"unused suppression: {', '.join(idle)} in this {d.kind} "
                                                          "matches no finding; remove it", d.column))
    return problems


class _Spans:
    """The (first, last) lines of one rule's findings in one file, for "does a directive cover any"."""

    def __init__(self, items: list[tuple[int, int]]):
        items.sort()
        self.starts = [first for first, _ in items]
        self.reach: list[int] = []  # the furthest last line among the spans so far
        furthest = 0
        for _, last in items:
            furthest = max(furthest, last)
            self.reach.append(furthest)

    def covered_by(self, d: Directive) -> bool:
        if not self.starts:
            return False
        if d.kind == "disable-file":
            return True
        if d.kind == "disable-next-line":
            i = bisect_left(self.starts, d.line + 1)
            return i < len(self.starts) and self.starts[i] == d.line + 1
        if d.kind == "object":
            i = bisect_left(self.starts, d.line)
            return i < len(self.starts) and self.starts[i] <= d.end
        i = bisect_right(self.starts, d.line)  # spans starting at or before the directive's line
        return i > 0 and self.reach[i - 1] >= d.line


def apply(findings: list[Finding], texts: dict[str, str]) -> tuple[list[Finding], list[Finding]]:
    """(kept, suppressed) with every code taken as known; kept for callers of the old interface."""
    known = {}
    for f in findings:
        known[f.rule_id.lower()] = f.rule_id
        known[f.rule_name.lower()] = f.rule_id
    for text in texts.values():
        for d in directives(text):
            for token in d.codes:
                known.setdefault(token.lower(), token)
    settled = settle(findings, texts, known)
    return settled.kept, settled.suppressed


def settle_report(report, findings: list[Finding], options, rules: list, texts: Mapping[str, str]) -> None:
    """Apply inline suppressions, annotations and ``accept`` entries to ``findings``, filling
    ``report.findings``, ``suppressed``, ``accepted``, ``waivers`` and the PL601 findings (when
    that rule runs). ``options`` is the engine's Options."""
    import os
    from pathlib import Path

    from portlint.engine import available_rules, display_path
    from portlint.model import Exposure, InputError, Location, PortRange, Severity

    known: dict[str, str] = {}
    for cls in available_rules(options, []):
        known[cls.code.lower()] = cls.code
        known[cls.name.lower()] = cls.code
    ran = {type(rule).code for rule in rules}
    kubernetes = {e.location.file for e in report.exposures if e.kind == "kubernetes"}
    today = getattr(options, "today", None) or date.today()
    settled = settle(findings, texts, known, ran, today, bool(getattr(options, "require_reason", False)), kubernetes)
    report.suppressed = settled.suppressed
    report.waivers.update(settled.waivers)
    problems = list(settled.problems)
    kept = settled.kept
    raw = list(getattr(options, "accept", None) or ())
    if raw:
        from portlint import accept

        config = getattr(options, "config_file", None)
        base = Path(os.path.abspath(config)).parent if config else (options.project_root or options.cwd)
        here = getattr(options, "display_base", None) or options.cwd
        shown = display_path(Path(config), here) if config else ".portlint.yaml"
        entries, bad = accept.load_entries(raw, known)
        report.errors.extend(InputError(shown, e.line, e.message) for e in bad)

        def path_of(finding: Finding) -> str:
            absolute = os.path.abspath(here / finding.location.file)
            relative = os.path.relpath(absolute, base)
            return finding.location.file if relative.startswith("..") else Path(relative).as_posix()

        outcome = accept.settle(kept, entries, path_of, shown, today)
        kept = outcome.kept
        report.accepted = outcome.accepted
        report.waivers.update(outcome.waivers)
        problems += outcome.problems
    hygiene = next((rule for rule in rules if type(rule).code == HYGIENE), None)
    if hygiene is not None:
        cls = type(hygiene)
        forced = options.severity.get(cls.code) or options.severity.get(cls.name)
        level = Severity.parse(forced) if forced else cls.severity
        for p in problems:
            where = Location(p.file, p.line, p.line, p.column)
            exposure = Exposure(kind="suppression", location=where, resource="portlint suppression", protocol="",
                                port_range=PortRange(0, 0), sources=(), scope="unknown")
            kept.append(Finding(cls.code, cls.name, level, p.message, exposure))
    kept.sort(key=lambda f: (f.location.file, f.location.line, f.location.column, f.rule_id))
    report.findings = kept
