"""Terraform (``.tf`` and ``.tf.json``): security groups, NACLs and firewalls of AWS, GCP,
Azure, DigitalOcean, Hetzner Cloud and OpenStack, with values resolved as Terraform would.

The unit is the module (a directory). When any file of a module is given, the
whole module is read, because a change to ``variables.tf`` can open a port
written in ``main.tf``. Directories that another scanned module calls with a
local ``source`` are evaluated through those calls, with the caller's
arguments; the others are root modules, which get their ``terraform.tfvars``,
``*.auto.tfvars``, ``TF_VAR_*``, ``--var-file`` and ``--var`` values.
python-hcl2 is imported only here, and only when Terraform files are present.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from portlint.model import Exposure, InputError, ParseOutcome
from portlint.parsers import ParseContext, SourceFile

MODULE_SUFFIXES = (".tf", ".tf.json")
VARS_SUFFIXES = (".tfvars", ".tfvars.json")
MAX_MODULE_DEPTH = 8
#: Below this many files one process is faster than starting workers.
PARALLEL_MIN_FILES = 24
#: Remote modules whose name says they manage firewall rules (their rules are not analysed).
_FIREWALL_MODULE = re.compile(r"security[-_]?group|firewall|\bnsg\b|network[-_]security|[-/_]sg\b", re.I)
_LOCAL_SOURCE = re.compile(r'\bsource\s*=\s*"(\.\.?(?:/[^"]*)?)"')


def _is_module_file(name: str) -> bool:
    return name.endswith(MODULE_SUFFIXES)


def _is_vars_file(name: str) -> bool:
    return name.endswith(VARS_SUFFIXES)


class TerraformParser:
    name = "terraform"

    def claims(self, path: Path, text: str | None) -> bool:
        return _is_module_file(path.name) or _is_vars_file(path.name)

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        files = list(files)
        chunks = _chunks(files, os.cpu_count() or 1)
        if len(files) < PARALLEL_MIN_FILES or len(chunks) < 2:
            yield from _run_files(files, ctx)
            return
        from concurrent.futures import ProcessPoolExecutor
        import multiprocessing

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=len(chunks), mp_context=multiprocessing.get_context(method)) as pool:
            for outcomes in pool.map(_run_files, chunks, [ctx] * len(chunks)):
                yield from outcomes


def _run_files(files: list[SourceFile], ctx: ParseContext) -> list[ParseOutcome]:
    run = _Run(ctx)
    for source in files:
        run.register(source)
    return list(run.outcomes())


def _chunks(files: list[SourceFile], workers: int) -> list[list[SourceFile]]:
    """Split files into independent groups for worker processes, keeping each module
    together with the modules it calls (connected by a cheap look at local ``source``)."""
    if workers < 2:
        return [files]
    by_dir: dict[Path, list[SourceFile]] = defaultdict(list)
    for source in files:
        by_dir[source.path.resolve().parent].append(source)
    parent = {d: d for d in by_dir}

    def find(d: Path) -> Path:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for directory, sources in by_dir.items():
        for source in sources:
            for target in _LOCAL_SOURCE.findall(source.text):
                called = (directory / target).resolve()
                if called in parent:
                    parent[find(called)] = find(directory)
    groups: dict[Path, list[SourceFile]] = defaultdict(list)
    for directory, sources in by_dir.items():
        groups[find(directory)].extend(sources)
    count = min(workers, 8, len(groups))
    chunks: list[list[SourceFile]] = [[] for _ in range(count)]
    for group in sorted(groups.values(), key=len, reverse=True):
        min(chunks, key=len).extend(group)
    return [chunk for chunk in chunks if chunk]


class _Run:
    """One parse of a set of Terraform files: modules, calls, and the exposures they make."""

    def __init__(self, ctx: ParseContext):
        self.ctx = ctx
        self.texts: dict[Path, tuple[str, str]] = {}  # path -> (display, text)
        self.dirs: list[Path] = []
        self.units: dict[Path, list] = {}
        self.errors: dict[str, list[InputError]] = defaultdict(list)
        self.exposures: dict[str, list[Exposure]] = defaultdict(list)
        self.claimed: list[str] = []

    def register(self, source: SourceFile) -> None:
        path = source.path.resolve()
        self.texts[path] = (source.display, source.text)
        self.claimed.append(source.display)
        if path.parent not in self.dirs:
            self.dirs.append(path.parent)

    # -- loading -----------------------------------------------------------------

    def _text(self, path: Path) -> tuple[str, str] | None:
        if path not in self.texts:
            text = self.ctx.read_text(path)
            if text is None:
                return None
            self.texts[path] = (self.ctx.display_path(path), text)
        return self.texts[path]

    def _list(self, directory: Path) -> list[Path]:
        try:
            return sorted(p for p in directory.iterdir() if p.is_file())
        except OSError:
            return [p for p in self.texts if p.parent == directory]

    def module_units(self, directory: Path) -> list:
        """Parsed files of a module directory (cached); parse errors are recorded once."""
        from portlint.parsers.terraform.hcl import HCLSyntaxError, load_hcl, load_tf_json
        from portlint.parsers.terraform.module import Unit

        if directory in self.units:
            return self.units[directory]
        units = []
        for path in self._list(directory):
            if not _is_module_file(path.name):
                continue
            loaded = self._text(path)
            if loaded is None:
                self.errors[self.ctx.display_path(path)].append(
                    InputError(self.ctx.display_path(path), 1, "cannot read file"))
                continue
            display, text = loaded
            try:
                body = load_tf_json(text) if path.name.endswith(".json") else load_hcl(text)
            except HCLSyntaxError as exc:
                self.errors[display].append(InputError(display, exc.line, exc.message, exc.column))
                continue
            units.append(Unit(display, body))
        self.units[directory] = units
        return units

    # -- variables ---------------------------------------------------------------

    def root_inputs(self, directory: Path) -> dict[str, Callable[[], Any]]:
        """Values for a root module, in Terraform's order of precedence (last wins)."""
        values: dict[str, Any] = {}
        prefix = "TF_VAR_"
        for key, raw in self.ctx.environ.items():
            if key.startswith(prefix):
                values[key[len(prefix):]] = self._cli_value(raw)
        auto = [directory / "terraform.tfvars", directory / "terraform.tfvars.json"]
        auto += sorted(p for p in self._list(directory)
                       if p.name.endswith((".auto.tfvars", ".auto.tfvars.json")))
        for path in auto:
            values.update(self._vars_file(path, required=False))
        for path in self.ctx.var_files:
            values.update(self._vars_file(Path(path).resolve(), required=True))
        for key, raw in self.ctx.variables.items():
            values[key] = self._cli_value(raw)
        return {name: (lambda v=value: v) for name, value in values.items()}

    def _vars_file(self, path: Path, required: bool) -> dict[str, Any]:
        from portlint.parsers.terraform.evaluate import Scope, evaluate
        from portlint.parsers.terraform.hcl import HCLSyntaxError, load_hcl, load_tf_json
        from portlint.parsers.terraform.module import no_names as _no_names

        loaded = self._text(path)
        if loaded is None:
            if required:
                shown = self.ctx.display_path(path)
                self.errors[shown].append(InputError(shown, 1, "cannot read variables file"))
            return {}
        display, text = loaded
        try:
            body = load_tf_json(text) if path.name.endswith(".json") else load_hcl(text)
        except HCLSyntaxError as exc:
            if not any(e.line == exc.line for e in self.errors[display]):
                self.errors[display].append(InputError(display, exc.line, exc.message, exc.column))
            return {}
        scope = Scope(_no_names)
        return {name: evaluate(attr.expr, scope) for name, attr in body.attributes.items()}

    @staticmethod
    def _cli_value(raw: str) -> Any:
        from portlint.parsers.terraform.evaluate import Scope, evaluate
        from portlint.parsers.terraform.hcl import HCLSyntaxError, load_hcl
        from portlint.parsers.terraform.module import no_names as _no_names

        text = raw.strip()
        if text[:1] in "[{" or text in ("true", "false") or text.lstrip("-").isdigit():
            try:
                body = load_hcl(f"v = {text}\n")
                return evaluate(body.attributes["v"].expr, Scope(_no_names))
            except HCLSyntaxError:
                return raw
        return raw

    # -- evaluation ----------------------------------------------------------------

    def outcomes(self) -> Iterator[ParseOutcome]:
        for directory in self.dirs:
            self.module_units(directory)
            for path in self._list(directory):
                if _is_vars_file(path.name) and path in self.texts:
                    self._vars_file(path, required=False)  # report syntax errors in tfvars too
        called = self._called_dirs()
        for directory in self.dirs:
            if directory in called:
                continue
            self._evaluate(directory, self.root_inputs(directory), address="", depth=0, stack=())
        read = [display for display, _ in self.texts.values()]
        files = list(dict.fromkeys(self.claimed + read + list(self.errors) + list(self.exposures)))
        for file in files:
            yield ParseOutcome(file, tuple(self.exposures.get(file, ())), tuple(self.errors.get(file, ())))

    def _called_dirs(self) -> set[Path]:
        from portlint.parsers.terraform.evaluate import Scope, evaluate
        from portlint.parsers.terraform.module import no_names as _no_names

        called: set[Path] = set()
        for directory in self.dirs:
            for unit in self.units.get(directory, []):
                for block in unit.body.blocks_of("module"):
                    source_attr = block.body.attributes.get("source")
                    source = evaluate(source_attr.expr, Scope(_no_names)) if source_attr else None
                    if isinstance(source, str) and _is_local(source):
                        target = (directory / source).resolve()
                        if target != directory:
                            called.add(target)
        return called

    def _opaque_module(self, call, view) -> None:
        """A remote module that manages firewall rules portlint cannot see: kept as unresolved."""
        from portlint.model import Exposure, Location, PortRange

        span = call.block.span
        self.exposures[view.file].append(Exposure(
            kind="terraform", location=Location(view.file, span.line, span.end_line, span.column),
            resource=view.address, protocol="all", port_range=PortRange(0, 65535), sources=("module outputs",),
            scope="unknown", unresolved=(f"module source {call.source}",), traits=frozenset({"unresolved-port"}),
            raw=call.source))

    def _evaluate(self, directory: Path, inputs: dict[str, Callable[[], Any]], address: str, depth: int,
                  stack: tuple[Path, ...]) -> None:
        from portlint.parsers.terraform import sg_module
        from portlint.parsers.terraform.module import Module
        from portlint.parsers.terraform.resources import ADAPTERS

        module = Module(directory, self.module_units(directory), inputs, address)
        for kind, view in module.resource_views(set(ADAPTERS)):
            for exposure in ADAPTERS[kind](view):
                self.exposures[exposure.location.file].append(exposure)
        if depth >= MAX_MODULE_DEPTH:
            return
        for call, instances in module.calls():
            preset = sg_module.preset_of(call.source)
            if preset is not False:
                for view in instances:
                    for exposure in sg_module.expand(view, preset or None):
                        self.exposures[exposure.location.file].append(exposure)
                continue
            if not _is_local(call.source):
                if _FIREWALL_MODULE.search(call.source):
                    for view in instances:
                        self._opaque_module(call, view)
                continue
            target = (directory / call.source).resolve()
            if target in stack or target == directory or not target.is_dir() and target not in self.units:
                continue
            for view in instances:
                child_inputs = {name: (lambda a=attr, v=view: _eval_in(a, v))
                                for name, attr in call.block.body.attributes.items()
                                if name not in _META_ARGUMENTS}
                self._evaluate(target, child_inputs, f"{view.address}.", depth + 1, stack + (directory,))


_META_ARGUMENTS = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


def _eval_in(attr, view) -> Any:
    from portlint.parsers.terraform.evaluate import evaluate

    return evaluate(attr.expr, view.scope)


def _is_local(source: str) -> bool:
    return source.startswith(("./", "../")) or source in (".", "..")

