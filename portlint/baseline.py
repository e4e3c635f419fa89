"""Baselines: accept today's findings, fail only on new ones.

A baseline file records each finding's fingerprint (rule, file, resource,
ports, sources, and the Terraform root of a finding reached through module
calls: never the line number, so edits above a finding do not matter), how
many times it occurs, and the fingerprint version it was written with.

A baseline without ``fingerprint_version`` was written before version 2 and
is read as version 1: findings are matched by the fingerprint version 1
computed (which had no root, so one recorded finding covers every root that
reaches it, up to its count). A version newer than this portlint's is refused.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from portlint import __version__
from portlint.model import FINGERPRINT_VERSION, Finding, Report


class BaselineError(Exception):
    pass


def dump(findings: list[Finding]) -> str:
    counts = Counter(f.fingerprint for f in findings)
    entries = {}
    for f in findings:
        entries.setdefault(f.fingerprint, {"rule_id": f.rule_id, "file": f.location.file,
                                           "resource": f.exposure.resource, "message": f.message,
                                           "count": counts[f.fingerprint]})
    return json.dumps({"schema_version": 1, "fingerprint_version": FINGERPRINT_VERSION,
                       "tool": {"name": "portlint", "version": __version__},
                       "findings": entries}, indent=2, sort_keys=True) + "\n"


class Known(Counter):
    """Fingerprint counts of a baseline, with the fingerprint version they were written in."""

    version: int = FINGERPRINT_VERSION
    #: fingerprint -> the recorded entry (rule_id, file, resource, message, count)
    entries: dict

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = {}


def load(text: str, origin: str, rules=None) -> Known:
    """The fingerprint counts of a baseline (``.version``: their fingerprint version);
    BaselineError, saying what is wrong, for anything else.

    With ``rules`` (rule classes), every entry's ``rule_id`` must name one of them
    (case-insensitively, as everywhere a rule is named); an unknown one is refused
    with the closest codes, since a misspelled code would baseline nothing.
    """
    def refuse(what: str) -> BaselineError:
        return BaselineError(f"{origin} is not a portlint baseline: {what}")

    try:
        data = json.loads(text)
    except RecursionError:
        raise refuse(f"JSON nested too deeply at line {_deep_line(text)}") from None
    except json.JSONDecodeError as exc:
        raise refuse(f"not JSON at line {exc.lineno}: {exc.msg}") from None
    except ValueError as exc:
        raise refuse(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise refuse(f"expected a JSON object, got {_kind(data)}")
    findings = data.get("findings")
    if not isinstance(findings, dict):
        raise refuse(f"'findings' must be an object of fingerprints, got {_kind(findings)}")
    version = data.get("fingerprint_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise refuse(f"'fingerprint_version' must be a whole number of 1 or more, got {str(version)[:40]!r}")
    if version > FINGERPRINT_VERSION:
        raise BaselineError(f"{origin} was written with fingerprint version {version}, newer than this "
                            f"portlint's ({FINGERPRINT_VERSION}): upgrade portlint, or record the findings "
                            "again with --write-baseline")
    known = Known()
    known.version = version
    for fingerprint, entry in findings.items():
        if not isinstance(entry, dict):
            raise refuse(f"finding {fingerprint[:80]!r} must be an object, got {_kind(entry)}")
        count = entry.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise refuse(f"finding {fingerprint[:80]!r}: count must be a whole number of 0 or more, "
                         f"got {str(count)[:40]!r}")
        for key in ("rule_id", "file", "resource", "message"):
            if key in entry and not isinstance(entry[key], (str, type(None))):
                raise refuse(f"finding {fingerprint[:80]!r}: {key} must be a string, got {_kind(entry[key])}")
        if rules is not None and entry.get("rule_id") is not None:
            _check_rule(entry["rule_id"], rules, origin, fingerprint)
        known[fingerprint] = count
        known.entries[fingerprint] = entry
    return known


def _check_rule(rule_id: str, rules, origin: str, fingerprint: str) -> None:
    """A recorded rule id must be the code of a known rule (case-insensitively)."""
    from portlint.config import rules_keys, unknown_code_message

    codes = {cls.code.upper() for cls in rules}
    if rule_id.strip().upper() not in codes:
        message = unknown_code_message(rule_id.strip(), rules_keys(rules)) if rule_id.strip() else "rule_id is empty"
        raise BaselineError(f"{origin}: finding {fingerprint[:80]!r}: {message} (a baseline entry of an "
                            "unknown rule matches no finding; write the baseline again with --write-baseline)")


def _deep_line(text: str, depth: int = 500) -> int:
    """The line where nesting first goes ``depth`` deep (strings skipped)."""
    level, in_string, escaped = 0, False, False
    for index, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            level += 1
            if level >= depth:
                return text.count("\n", 0, index) + 1
        elif ch in "]}":
            level -= 1
    return 1


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "nothing"}
    return names.get(type(value), type(value).__name__)


def read(path: Path, rules=None) -> Known:
    """Load a baseline file through the safe reader (a regular file, within the size limit)."""
    from portlint.inputs import ReadRefused, read_input
    from portlint.limits import LimitExceeded

    try:
        text = read_input(path)
    except ReadRefused as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.reason}") from None
    except LimitExceeded as exc:  # pragma: no cover - read_input reports size itself
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    if text is None:
        raise BaselineError(f"baseline {path} does not exist")
    return load(text, str(path), rules)


def apply(findings: list[Finding], known: Counter) -> tuple[list[Finding], list[Finding]]:
    """(new, baselined): up to the recorded count of each fingerprint is baselined; a
    baseline of an older fingerprint version is matched by that version's fingerprints."""
    new, old, _ = match(findings, known)
    return new, old


def match(findings: list[Finding], known: Counter) -> tuple[list[Finding], list[Finding], Counter]:
    """(new, baselined, unused): ``unused`` counts the recorded findings no current finding matched."""
    version = getattr(known, "version", FINGERPRINT_VERSION)
    remaining = Counter(known)
    new, old = [], []
    for finding in findings:
        fingerprint = finding.fingerprint if version == FINGERPRINT_VERSION else finding.fingerprint_of(version)
        if remaining[fingerprint] > 0:
            remaining[fingerprint] -= 1
            old.append(finding)
        else:
            new.append(finding)
    return new, old, +remaining


def stale(known: Known, unused: Counter, checked: set[str]) -> list[dict]:
    """Recorded findings in files this run checked that no current finding matched (fixed or changed):
    each entry with its ``count`` of unmatched occurrences, in file order."""
    out = []
    for fingerprint, count in unused.items():
        entry = known.entries.get(fingerprint, {})
        if entry.get("file") in checked:
            out.append({**entry, "fingerprint": fingerprint, "count": count})
    return sorted(out, key=lambda e: (str(e.get("file")), str(e.get("rule_id")), str(e.get("resource"))))


def settle(report: Report, write_to: Path | None = None, compare_with: Path | None = None,
           write=None, checked: set[str] | None = None, rules=None) -> list[dict]:
    """Record the report's findings in ``write_to``, or drop those ``compare_with`` knows.

    ``write(path, text)`` writes the baseline (the CLI hands in its guarded writer).
    Returns the stale entries of ``compare_with`` (see ``stale``) among the ``checked`` files.
    ``rules`` (rule classes): the rules every entry's ``rule_id`` must name (see ``load``).
    """
    if write_to is not None:
        if write is None:
            write_to.parent.mkdir(parents=True, exist_ok=True)
            write_to.write_text(dump(report.findings), encoding="utf-8")
        else:
            write(write_to, dump(report.findings))
        report.baselined, report.findings = report.findings, []
    elif compare_with is not None:
        known = read(compare_with, rules)
        report.findings, report.baselined, unused = match(report.findings, known)
        return stale(known, unused, checked or set())
    return []
