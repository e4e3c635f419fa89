"""Parser plug-in interface.

A parser turns one source format into ``Exposure`` records. It never raises for
bad input: problems come back as ``InputError`` entries in its ``ParseOutcome``.
Parsers register under the ``portlint.parsers`` entry-point group (the built-in
ones too), so third-party formats plug in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Protocol, runtime_checkable

from portlint.model import ParseOutcome


def read_text_or_none(path: Path) -> str | None:
    """A neighbouring file's text, or None when absent.

    Raises ``portlint.inputs.ReadRefused`` when the file exists but may not be
    read (not a regular file, too large, not UTF-8, or outside the project root
    when the engine hands in a confined reader); parsers report that as an
    input error on the file that asked for it.
    """
    from portlint.inputs import read_input

    return read_input(path)


@dataclass(frozen=True)
class ParseContext:
    """What a parser may know beyond the file itself.

    ``read_text`` is how a parser reads neighbouring files (``.env``, tfvars);
    it returns None when the file is absent, so tests can hand in a dict.
    """

    environ: Mapping[str, str] = field(default_factory=dict)
    env_files: tuple[Path, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    var_files: tuple[Path, ...] = ()
    read_text: Callable[[Path], str | None] = read_text_or_none
    display_path: Callable[[Path], str] = str
    #: nothing outside this folder may be read because a checked file says so (None: no confinement)
    project_root: Path | None = None
    #: worker processes a parser may start (0: as many as the CPUs this process may use; 1: none)
    jobs: int = 0
    #: Compose projects declared in the configuration (``compose-projects``): tuples of
    #: (files in merge order, env files, configuration file as shown, line of the entry)
    compose_projects: tuple = ()

    def inside_project(self, path: Path) -> bool:
        """May ``path`` (a module folder, a ``file()`` argument) be read at all?"""
        from portlint.inputs import is_inside

        return is_inside(path, self.project_root)

    def list_dir(self, folder: Path) -> list[tuple[Path, bool]]:
        """(path, is a folder) of the regular files and folders in ``folder``, by name, confined like
        ``read_text`` (see ``portlint.inputs.list_folder``); read the files through ``read_text``."""
        from portlint.inputs import list_folder

        return list_folder(folder, self.project_root)


@dataclass(frozen=True)
class SourceFile:
    """A file handed to a parser: its path, how to show it, and its text."""

    path: Path
    display: str
    text: str


@runtime_checkable
class Parser(Protocol):
    """What every parser plug-in provides."""

    #: short, stable name, also the ``kind`` of the exposures it emits
    name: str

    def claims(self, path: Path, text: str | None) -> bool:
        """Cheap test: is this file mine? ``text`` is None when only the name is known."""

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        """Parse the claimed files; one outcome per file, errors included."""


def line_start_key(text: str, word: str) -> bool:
    """Does a line of ``text`` start with the key ``word`` (``word:``, spaces allowed before the colon)?

    For ``claims``, which see whole files (up to ``limits.FILE_BYTES``): the pattern begins with a
    literal newline and the word, so the scan is a fast substring search, not a per-line match.
    """
    first, rest = _line_start_patterns(word)
    return first.match(text) is not None or rest.search(text) is not None


def kubernetes_stream(text: str) -> bool:
    """Column-0 ``kind:`` and ``apiVersion:``: a Kubernetes stream, whose load errors are input errors.
    No playbook (a list) or CloudFormation template has these top-level keys, so their parsers decline
    such a file whatever words it holds (an annotation cannot hand a manifest to them)."""
    return "apiVersion" in text and line_start_key(text, "apiVersion") and line_start_key(text, "kind")


@lru_cache(maxsize=32)
def _line_start_patterns(word: str):
    import re

    return re.compile(re.escape(word) + r"\s*:"), re.compile("\n" + re.escape(word) + r"\s*:")


def yaml_documents(source: SourceFile) -> tuple[list, ParseOutcome | None]:
    """Every document of a YAML file, and an outcome holding the errors met (None when clean).

    Errors are isolated: a document that failed as a whole is None in the list,
    one with a local error (a duplicate key, a bad merge key, an unsupported tag)
    is kept without the bad entry, and documents before a syntax error are kept.
    Callers should check the documents they get even when the outcome is not
    None, and add its errors to their own.
    """
    from portlint.model import InputError
    from portlint.yamlpos import load_documents

    documents, problems = load_documents(source.text)
    if not problems:
        return documents, None
    errors = tuple(InputError(source.display, e.line, e.message, e.column) for e in problems)
    return documents, ParseOutcome(source.display, errors=errors)


def load_parsers() -> list[Parser]:
    """Every parser registered under ``portlint.parsers``, built-ins included, by name.

    Built-ins come as ``LazyParser`` stand-ins (``portlint/parsers/lazy.py``): their modules are
    imported only for a file that may be theirs. Plug-ins are imported here, as before.
    """
    from portlint.parsers.lazy import QUICK, LazyParser
    from portlint.plugins import PluginError, _resolve, find_entry_points

    parsers = []
    for name, value, dist in find_entry_points("portlint.parsers"):
        if dist == "portlint" and value in QUICK:
            parsers.append(LazyParser(name, value, QUICK[value]))
            continue
        try:
            factory = _resolve(value)
        except Exception as exc:  # a plug-in's import error must not look like ours
            raise PluginError(f"{dist}: cannot load portlint.parsers entry point {name!r} ({value}): {exc}") from exc
        parser = factory() if isinstance(factory, type) else factory
        parsers.append(parser)
    return sorted(parsers, key=lambda p: p.name)
