"""What a pull request does to portlint's own gate, read from git (for the GitHub Action).

A pull request can edit the configuration in its tree (``fail-on: never``, an
exclude of everything, acceptances) or add suppression comments. The action
therefore checks a pull request with the base revision's configuration
(``base_config``), and lists in its summary the configuration files the change
touches and the suppressions and acceptances it adds (``gate_changes``), so a
reviewer sees them.

Everything read from the repository is untrusted: git runs read-only with the
options of ``portlint.gitfs`` (no hooks, no external diff, no textconv), only
blobs are read, each within ``limits.FILE_BYTES``, and at most ``limits.FILES``
changed files are looked at (the rest are named as not examined).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from portlint import limits
from portlint.config import CONFIG_NAMES, PYPROJECT, _TOOL_TABLE
from portlint.gitfs import GitError, git, resolve


@dataclass
class Added:
    """One suppression or acceptance the change adds."""

    how: str  # "comment", "annotation" or "accepted"
    file: str
    line: int
    codes: tuple[str, ...]
    reason: str
    expires: str | None = None

    def to_dict(self) -> dict:
        return {"how": self.how, "file": self.file, "line": self.line, "codes": list(self.codes),
                "reason": self.reason, "expires": self.expires}


@dataclass
class ConfigChange:
    file: str
    status: str  # "added", "removed" or "changed"
    #: top-level keys whose value differs between the two revisions
    keys: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"file": self.file, "status": self.status, "keys": self.keys}


@dataclass
class GateChanges:
    base: str
    head: str
    configs: list[ConfigChange] = field(default_factory=list)
    added: list[Added] = field(default_factory=list)
    #: files that could not be examined (too large, too many, not text), with why
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"base": self.base, "head": self.head, "config_changes": [c.to_dict() for c in self.configs],
                "added": [a.to_dict() for a in self.added],
                "skipped": [{"file": f, "reason": r} for f, r in self.skipped]}


# -- reading revisions --------------------------------------------------------------------------------


def read_blob(repo: Path, revision: str, path: str) -> str | None:
    """The text of ``path`` at ``revision``; None when it is not a file there. LookupError (with the
    reason) when it is too large or not UTF-8 text."""
    listing = git(repo, "ls-tree", "-l", "-z", "--full-tree", revision, "--", path)
    record = listing.split(b"\x00", 1)[0]
    meta, _, _ = record.partition(b"\t")
    fields = meta.split()
    if len(fields) != 4 or fields[1] != b"blob":
        return None
    size = int(fields[3]) if fields[3].isdigit() else 0
    if size > limits.FILE_BYTES:
        raise LookupError(f"{size:,} bytes, over the file size limit of {limits.FILE_BYTES:,}")
    data = git(repo, "cat-file", "blob", fields[2].decode("ascii"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LookupError("not UTF-8 text") from None


def _changed(repo: Path, base: str, head: str) -> list[tuple[str, str]]:
    """(status letter, path, path in ``base``) of every file changed from ``base`` to ``head``."""
    out = git(repo, "diff", "-M", "--name-status", "-z", "--no-ext-diff", "--no-textconv", base, head, "--")
    parts = out.split(b"\x00")
    changed, i = [], 0
    while i < len(parts):
        status = parts[i].decode("ascii", "replace")
        if not status:
            i += 1
            continue
        if status[0] in "RC" and i + 2 < len(parts):
            changed.append(("A" if status[0] == "C" else "M", os.fsdecode(parts[i + 2]), os.fsdecode(parts[i + 1])))
            i += 3
        elif i + 1 < len(parts):
            changed.append((status[0], os.fsdecode(parts[i + 1]), os.fsdecode(parts[i + 1])))
            i += 2
        else:
            break
    return changed


def is_config_name(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in CONFIG_NAMES or name == PYPROJECT


def _config_document(text: str | None, path: str) -> dict | None:
    """The settings in a configuration text (the ``[tool.portlint]`` table of a pyproject.toml);
    None when there are none; {} when they cannot be read (still a change worth naming)."""
    if text is None:
        return None
    if path.rsplit("/", 1)[-1] == PYPROJECT:
        if not _TOOL_TABLE.search(text):
            return None
        import tomllib

        try:
            table = tomllib.loads(text).get("tool", {}).get("portlint")
        except (tomllib.TOMLDecodeError, RecursionError, AttributeError):
            return {}
        return table if isinstance(table, dict) else {}
    from portlint.limits import LimitExceeded
    from portlint.yamlpos import YAMLLoadError, load_one

    try:
        doc = load_one(text)
    except (YAMLLoadError, LimitExceeded, RecursionError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _normal(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# -- what a change adds -------------------------------------------------------------------------------


def gate_changes(repo: Path, base: str, head: str = "HEAD") -> GateChanges:
    """Configuration files changed, and suppression comments, Kubernetes annotations and accept
    entries present in ``head`` but not in ``base`` (matched by content, not line, so moving a
    suppression is not new). GitError when a revision cannot be read."""
    from portlint.suppress import ANNOTATION, MARKER, annotation_directives, scan

    base_sha, head_sha = resolve(repo, base), resolve(repo, head)
    result = GateChanges(base, head)
    changed = _changed(repo, base_sha, head_sha)
    if len(changed) > limits.FILES:
        result.skipped.append((f"{len(changed) - limits.FILES:,} more files",
                               f"over the limit of {limits.FILES:,} changed files examined"))
        changed = changed[:limits.FILES]
    for status, path, old_path in changed:
        try:
            after = read_blob(repo, head_sha, path) if status != "D" else None
            before = read_blob(repo, base_sha, old_path) if status != "A" else None
        except LookupError as exc:
            result.skipped.append((path, str(exc)))
            continue
        except GitError as exc:
            result.skipped.append((path, str(exc)))
            continue
        if is_config_name(path):
            _config_change(result, path, before, after)
        if after is None or (MARKER not in after and ANNOTATION not in after):
            continue
        old = _signatures(before, old_path) if before is not None else {}
        found, _ = scan(after, path)
        items = [("comment", d) for d in found]
        if ANNOTATION in after and path.lower().endswith((".yaml", ".yml")):
            items += [("annotation", d) for d in annotation_directives(after, path)[0]]
        for how, d in items:
            key = (how, tuple(sorted(c.upper() for c in d.codes)), d.reason,
                   d.expires.isoformat() if d.expires else None)
            if old.get(key, 0) > 0:
                old[key] -= 1
                continue
            result.added.append(Added(how, path, d.at or d.line, tuple(sorted(d.codes)) or ("all",), d.reason,
                                      key[3]))
    result.added.sort(key=lambda a: (a.file, a.line, a.how))
    return result


def _signatures(text: str, path: str) -> dict[tuple, int]:
    from portlint.suppress import ANNOTATION, annotation_directives, scan

    counts: dict[tuple, int] = {}
    items = [("comment", d) for d in scan(text, path)[0]]
    if ANNOTATION in text and path.lower().endswith((".yaml", ".yml")):
        items += [("annotation", d) for d in annotation_directives(text, path)[0]]
    for how, d in items:
        key = (how, tuple(sorted(c.upper() for c in d.codes)), d.reason, d.expires.isoformat() if d.expires else None)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _config_change(result: GateChanges, path: str, before: str | None, after: str | None) -> None:
    old, new = _config_document(before, path), _config_document(after, path)
    if old is None and new is None:
        return  # a pyproject.toml that configures portlint on neither side
    status = "added" if old is None else "removed" if new is None else "changed"
    old, new = old or {}, new or {}
    keys = sorted(k for k in set(old) | set(new) if _normal(old.get(k)) != _normal(new.get(k)))
    if status == "changed" and not keys:
        return  # comments or layout only
    result.configs.append(ConfigChange(path, status, [str(k) for k in keys]))
    entries = new.get("accept") if isinstance(new.get("accept"), list) else []
    before_entries = [_normal(e) for e in (old.get("accept") if isinstance(old.get("accept"), list) else [])]
    for index, entry in enumerate(entries[:limits.ACCEPT_ENTRIES]):
        if _normal(entry) in before_entries:
            before_entries.remove(_normal(entry))
            continue
        entry = entry if isinstance(entry, dict) else {}
        rules = entry.get("rules") if isinstance(entry.get("rules"), list) else []
        result.added.append(Added("accepted", path, _accept_line(after or "", path, new, index),
                                  tuple(str(r) for r in rules) or ("all",), str(entry.get("reason", "")),
                                  str(entry["expires"]) if entry.get("expires") is not None else None))


def _accept_line(text: str, path: str, doc: dict, index: int) -> int:
    if path.rsplit("/", 1)[-1] == PYPROJECT:
        from portlint.config import _key_line, _table_line

        return _key_line(text, "accept", _table_line(text))
    from portlint.yamlpos import span_at

    try:
        return span_at(doc, ["accept", index]).line
    except Exception:  # noqa: BLE001 - a position is a courtesy
        return 1


# -- the base revision's configuration ----------------------------------------------------------------


def base_config(repo: Path, base: str) -> tuple[str, str] | None:
    """(file name, YAML text) of the configuration at the top of ``base``'s tree: ``.portlint.yaml``,
    else ``.portlint.yml``, else the ``[tool.portlint]`` table of ``pyproject.toml`` (as YAML);
    None when ``base`` has none. LookupError when the file cannot be read."""
    sha = resolve(repo, base)
    for name in CONFIG_NAMES:
        text = read_blob(repo, sha, name)
        if text is not None:
            return name, text
    text = read_blob(repo, sha, PYPROJECT)
    doc = _config_document(text, PYPROJECT)
    if doc is None:
        return None
    import yaml

    return PYPROJECT, f"# [tool.portlint] of {PYPROJECT} at {base}\n" + yaml.safe_dump(doc, sort_keys=False)


def write_trusted(repo: Path, base: str) -> Path | None:
    """Write the base revision's configuration to a new file at the top of the work tree (so that
    the paths it names are taken from the same folder as in the repository) and return it; None
    when the base has no configuration. The file is created new (never through a planted link).
    It stays in the tree (not a temporary folder: patterns such as ``exclude`` and ``accept: file``
    cannot be moved to absolute paths faithfully); the caller removes it after the check."""
    found = base_config(repo, base)
    if found is None:
        return None
    fd, name = tempfile.mkstemp(prefix=".portlint-trusted-", suffix=".yaml", dir=repo)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(found[1])
    return Path(name)


# -- rendering ----------------------------------------------------------------------------------------


def markdown(changes: GateChanges, checked_with_base: bool = False) -> str:
    from portlint.formatters.escape import markdown_code, markdown_text

    lines = ["## portlint: what this change does to the gate", ""]
    if not changes.configs and not changes.added and not changes.skipped:
        lines.append(f"No portlint configuration changed and no suppression or acceptance was added "
                     f"between {markdown_code(changes.base)} and {markdown_code(changes.head)}.")
        return "\n".join(lines) + "\n"
    if changes.configs:
        lines += ["### Configuration changed", ""]
        if checked_with_base:
            lines += ["The check used the base branch's configuration; these changes take effect once merged.", ""]
        for c in changes.configs:
            keys = (": " + ", ".join(markdown_code(k) for k in c.keys)) if c.keys else ""
            lines.append(f"- {markdown_code(c.file)} ({c.status}){keys}")
        lines.append("")
    if changes.added:
        lines += ["### Suppressions and acceptances added", "", "| where | how | rules | reason | expires |",
                  "|---|---|---|---|---|"]
        for a in changes.added:
            lines.append(f"| {markdown_code(f'{a.file}:{a.line}')} | {a.how} | "
                         f"{', '.join(markdown_code(c) for c in a.codes)} | "
                         f"{markdown_text(a.reason) if a.reason else '(no reason)'} | {a.expires or '-'} |")
        lines.append("")
    if changes.skipped:
        lines += ["### Not examined", ""]
        lines += [f"- {markdown_code(f)}: {markdown_text(r)}" for f, r in changes.skipped]
        lines.append("")
    return "\n".join(lines)


def text(changes: GateChanges) -> str:
    from portlint.formatters.escape import visible

    out = []
    for c in changes.configs:
        out.append(f"{visible(c.file)}: configuration {c.status}" + (f" ({', '.join(map(visible, c.keys))})"
                                                                  if c.keys else ""))
    for a in changes.added:
        out.append(f"{visible(a.file)}:{a.line}: {a.how} {','.join(map(visible, a.codes))}"
                   f" -- {visible(a.reason) or '(no reason)'}" + (f" (until {a.expires})" if a.expires else ""))
    for f, r in changes.skipped:
        out.append(f"{visible(f)}: not examined: {visible(r)}")
    if not out:
        out.append("no configuration change and no suppression or acceptance added")
    return "\n".join(out) + "\n"
