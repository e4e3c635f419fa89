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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from portlint import limits
from portlint.inputs import ReadRefused
from portlint.limits import LimitExceeded
from portlint.model import Exposure, InputError, ParseOutcome, Step
from portlint.parsers import ParseContext, SourceFile

MODULE_SUFFIXES = (".tf", ".tf.json")
VARS_SUFFIXES = (".tfvars", ".tfvars.json")
#: Remote modules whose name says they manage firewall rules (their rules are not analysed).
_FIREWALL_MODULE = re.compile(r"security[-_]?group|firewall|\bnsg\b|network[-_]security|[-/_]sg\b", re.I)
#: Firewall resource types portlint knows but does not evaluate (an adapter, when one is added
#: to ``resources.ADAPTERS``, takes precedence): reported by PL501 instead of skipped silently.
UNEVALUATED_TYPES = {
    "aws_networkfirewall_rule_group": "AWS Network Firewall rule group",
    "aws_lightsail_instance_public_ports": "Lightsail public ports",
    "google_compute_firewall_policy_rule": "GCP hierarchical firewall policy rule",
    "google_compute_network_firewall_policy_rule": "GCP network firewall policy rule",
    "google_compute_region_network_firewall_policy_rule": "GCP regional network firewall policy rule",
    "azurerm_firewall_network_rule_collection": "Azure Firewall network rules",
    "azurerm_firewall_nat_rule_collection": "Azure Firewall NAT rules",
    "azurerm_firewall_policy_rule_collection_group": "Azure Firewall policy rules",
    "openstack_compute_secgroup_v2": "OpenStack compute security group",
    "ibm_is_security_group_rule": "IBM Cloud security group rule",
    "linode_firewall": "Linode firewall",
    "vultr_firewall_rule": "Vultr firewall rule",
    "scaleway_instance_security_group": "Scaleway security group",
    "exoscale_security_group_rule": "Exoscale security group rule",
    "tencentcloud_security_group_rule": "Tencent Cloud security group rule",
    "huaweicloud_networking_secgroup_rule": "Huawei Cloud security group rule",
    "yandex_vpc_security_group": "Yandex Cloud security group",
}
_LOCAL_SOURCE = re.compile(r'\bsource\s*=\s*"(\.\.?(?:/[^"]*)?)"')


def _is_module_file(name: str) -> bool:
    return name.endswith(MODULE_SUFFIXES)


def _is_vars_file(name: str) -> bool:
    return name.endswith(VARS_SUFFIXES)


class TerraformParser:
    name = "terraform"

    def claims(self, path: Path, text: str | None) -> bool:
        return _is_module_file(path.name) or _is_vars_file(path.name)

    #: independent module groups (``cache_groups``) may be parsed in worker processes (``--jobs``)
    parallel = True

    def cache_groups(self, files: list[SourceFile]) -> list[list[SourceFile]]:
        """The result cache's unit: modules together with the local modules they call."""
        return _groups(files)

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        yield from _run_files(list(files), ctx)


def _run_files(files: list[SourceFile], ctx: ParseContext) -> list[ParseOutcome]:
    run = _Run(ctx)
    for source in files:
        run.register(source)
    return list(run.outcomes())


def _groups(files: list[SourceFile]) -> list[list[SourceFile]]:
    """Files in independent groups: each module with the modules it calls (connected by a
    cheap look at local ``source``), so a group can be parsed (and cached) on its own."""
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
            for target in _LOCAL_SOURCE.findall(source.text[:limits.FILE_BYTES]):
                called = (directory / target).resolve()
                if called in parent:
                    parent[find(called)] = find(directory)
    groups: dict[Path, list[SourceFile]] = defaultdict(list)
    for directory, sources in by_dir.items():
        groups[find(directory)].extend(sources)
    return list(groups.values())


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
        from portlint.parsers.terraform.values import Budget

        #: all evaluation of this run together; each block also has its own TF_STEPS budget
        self.budget = Budget("TF_RUN_STEPS", "Terraform evaluation steps for the whole run")
        self.module_instances = 0
        self.evaluated: set[Path] = set()
        self.manifests: dict[Path, dict[str, str]] = {}

    def register(self, source: SourceFile) -> None:
        path = source.path.resolve()
        self.texts[path] = (source.display, source.text)
        self.claimed.append(source.display)
        if path.parent not in self.dirs:
            self.dirs.append(path.parent)

    # -- loading -----------------------------------------------------------------

    def error(self, file: str, line: int, message: str, column: int = 1) -> None:
        self.errors[file].append(InputError(file, max(int(line or 1), 1), message, max(int(column or 1), 1)))

    def _text(self, path: Path, trusted: bool = False) -> tuple[str, str] | None:
        """A file's (display, text); None when absent. ReadRefused when it may not be read
        (outside the project root, a FIFO, too large); ``trusted`` files (``--var-file``)
        were named by the user and may lie outside the root."""
        if path not in self.texts:
            if trusted:
                from portlint.inputs import read_input

                text = read_input(path)
            else:
                text = self.ctx.read_text(path)
            if text is None:
                return None
            self.texts[path] = (self.ctx.display_path(path), text)
        return self.texts[path]

    def _list(self, directory: Path) -> list[Path]:
        known = [p for p in self.texts if p.parent == directory]
        if not self.ctx.inside_project(directory):
            return sorted(known)  # never list a folder outside the project
        try:
            found = []
            for entry in os.scandir(directory):
                if entry.is_file():  # follows links; FIFOs, devices and folders are left out
                    found.append(directory / entry.name)
                    if len(found) > limits.FILES:
                        break
            return sorted(set(found) | set(known))
        except OSError:
            return sorted(known)

    def module_units(self, directory: Path, asker: tuple[str, int, str] | None = None) -> list:
        """Parsed files of a module directory (cached); parse errors are recorded once.

        ``asker`` (file, line, source) is the module call that made portlint read the
        folder: a file there that may not be read is reported at that call."""
        from portlint.parsers.terraform.hcl import HCLSyntaxError, load_hcl, load_tf_json
        from portlint.parsers.terraform.module import Unit

        if directory in self.units:
            return self.units[directory]
        units = []
        for path in self._list(directory):
            if not _is_module_file(path.name):
                continue
            shown = self.ctx.display_path(path)
            try:
                loaded = self._text(path)
            except ReadRefused as exc:
                if asker is not None:
                    file, line, source = asker
                    self.error(file, line, f"module source {source}: cannot read {shown}: {exc.reason}")
                else:
                    self.error(shown, exc.line, exc.reason)
                continue
            if loaded is None:
                self.error(shown, 1, "cannot read file: it vanished while portlint ran")
                continue
            display, text = loaded
            try:
                body = load_tf_json(text) if path.name.endswith(".json") else load_hcl(text)
            except HCLSyntaxError as exc:
                self.error(display, exc.line, exc.message, exc.column)
                continue
            except Exception as exc:  # a parser bug: this file is reported, the others are read
                self.error(display, 1, f"cannot parse this file: {type(exc).__name__}: {exc}")
                continue
            units.append(Unit(display, body))
        self.units[directory] = units
        return units

    # -- variables ---------------------------------------------------------------

    def root_inputs(self, directory: Path, origins: dict[str, tuple[Step, ...]] | None = None
                    ) -> dict[str, Callable[[], Any]]:
        """Values for a root module, in Terraform's order of precedence (last wins);
        ``origins`` receives where each value was set (file and line, or the variable's name)."""
        values: dict[str, Any] = {}
        where: dict[str, Step] = {}
        prefix = "TF_VAR_"
        environ = self.ctx.environ  # the result cache records that only TF_VAR_* names were listed
        listed = environ.with_prefix(prefix) if hasattr(environ, "with_prefix") else environ.items()
        for key, raw in listed:
            if key.startswith(prefix):
                name = key[len(prefix):]
                values[name] = self._cli_value(raw)
                where[name] = Step(f"var.{name}", key, 0)
        auto = [directory / "terraform.tfvars", directory / "terraform.tfvars.json"]
        auto += sorted(p for p in self._list(directory)
                       if p.name.endswith((".auto.tfvars", ".auto.tfvars.json")))
        for path in auto:
            values.update(self._vars_file(path, required=False, where=where))
        for path in self.ctx.var_files:
            values.update(self._vars_file(Path(path).resolve(), required=True, trusted=True, where=where))
        for key, raw in self.ctx.variables.items():
            values[key] = self._cli_value(raw)
            where[key] = Step(f"var.{key}", f"--var {key}", 0)
        if origins is not None:
            origins.update({name: (step,) for name, step in where.items()})
        return {name: (lambda v=value: v) for name, value in values.items()}

    def _vars_file(self, path: Path, required: bool, trusted: bool = False,
                   where: dict[str, Step] | None = None) -> dict[str, Any]:
        from portlint.parsers.terraform.evaluate import Scope, evaluate
        from portlint.parsers.terraform.hcl import HCLSyntaxError, load_hcl, load_tf_json
        from portlint.parsers.terraform.module import describe_failure, no_names as _no_names
        from portlint.parsers.terraform.values import budget

        shown = self.ctx.display_path(path)
        try:
            loaded = self._text(path, trusted=trusted)
        except ReadRefused as exc:
            if not any(e.message.endswith(exc.reason) for e in self.errors[shown]):
                self.error(shown, exc.line, exc.reason)  # worded as discovery words it, so it is said once
            return {}
        if loaded is None:
            if required:
                self.error(shown, 1, "cannot read variables file")
            return {}
        display, text = loaded
        try:
            body = load_tf_json(text) if path.name.endswith(".json") else load_hcl(text)
        except HCLSyntaxError as exc:
            if not any(e.line == exc.line for e in self.errors[display]):
                self.error(display, exc.line, exc.message, exc.column)
            return {}
        except Exception as exc:
            self.error(display, 1, f"cannot parse this file: {type(exc).__name__}: {exc}")
            return {}
        scope = Scope(_no_names)
        values = {}
        for name, attr in body.attributes.items():
            try:
                with budget(self.budget):
                    values[name] = evaluate(attr.expr, scope)
                if where is not None:
                    where[name] = Step(f"var.{name}", display, attr.span.line, attr.span.column)
            except Exception as exc:  # one bad value costs only itself
                failure = describe_failure(exc, display, attr.span, f"variable {name}")
                if failure not in self.errors[failure.file]:
                    self.errors[failure.file].append(failure)
        return values

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
            except Exception:  # the user's own --var / TF_VAR_ value: kept as text when not a value
                return raw
        return raw

    # -- evaluation ----------------------------------------------------------------

    def outcomes(self) -> Iterator[ParseOutcome]:
        for directory in self.dirs:
            self._safely(directory, lambda d=directory: self._load(d))
        called = self._called_dirs()
        for directory in self.dirs:
            if directory in called and not self._declares_root(directory):
                continue
            self._safely(directory, lambda d=directory: self._evaluate_root(d))
        for directory in self.dirs:  # called only from a cycle, or from a caller that failed
            if directory not in self.evaluated:
                self._safely(directory, lambda d=directory: self._evaluate_root(d))
        read = [display for display, _ in self.texts.values()]
        files = list(dict.fromkeys(self.claimed + read + list(self.errors) + list(self.exposures)))
        for file in files:
            yield ParseOutcome(file, tuple(self.exposures.get(file, ())), tuple(self.errors.get(file, ())))

    def _evaluate_root(self, directory: Path) -> None:
        origins: dict[str, tuple[Step, ...]] = {}
        inputs = self.root_inputs(directory, origins)
        trail = _Trail(directory, self.ctx.display_path(directory), (), ())
        from portlint.parsers.terraform.functions import FileAccess, file_access

        # file() and its kin read through the context, relative to the root (Terraform's working folder)
        with file_access(FileAccess(self.ctx.read_text, directory, self.ctx.inside_project)):
            self._evaluate(directory, inputs, address="", depth=0, stack=(), trail=trail, origins=origins)

    def _declares_root(self, directory: Path) -> bool:
        """A folder that says it is a root, though another module calls it: it holds a
        variables file or a ``backend`` / ``cloud`` block (Terraform is run there)."""
        if any(_is_vars_file(p.name) for p in self._list(directory)):
            return True
        for unit in self.units.get(directory, []):
            for block in unit.body.blocks_of("terraform"):
                if block.body.blocks_of("backend") or block.body.blocks_of("cloud"):
                    return True
        return False

    def _load(self, directory: Path) -> None:
        self.module_units(directory)
        for path in self._list(directory):
            if _is_vars_file(path.name) and path in self.texts:
                self._vars_file(path, required=False)  # report syntax errors in tfvars too

    def _safely(self, directory: Path, work: Callable[[], None]) -> None:
        """Last net for one module folder: a failure costs only that folder, reported on its first file."""
        try:
            work()
        except Exception as exc:
            self.evaluated.add(directory)
            files = sorted(d for p, (d, _) in self.texts.items() if p.parent == directory)
            file = files[0] if files else self.ctx.display_path(directory)
            line = getattr(exc, "line", 0) or 1
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            self.error(getattr(exc, "file", None) or file, line, f"cannot check this module: {message}")

    def _source_of(self, block) -> Any:
        from portlint.parsers.terraform.evaluate import Scope, evaluate
        from portlint.parsers.terraform.module import no_names as _no_names
        from portlint.parsers.terraform.values import budget

        source_attr = block.body.attributes.get("source")
        if source_attr is None:
            return None
        with budget(self.budget):
            return evaluate(source_attr.expr, Scope(_no_names))

    def _called_dirs(self) -> set[Path]:
        called: set[Path] = set()
        for directory in self.dirs:
            for unit in self.units.get(directory, []):
                for block in unit.body.blocks_of("module"):
                    try:
                        source = self._source_of(block)
                    except Exception:
                        continue  # reported when the call is evaluated
                    if isinstance(source, str) and _is_local(source):
                        target = Path(os.path.normpath(directory / source))
                        if target != directory and self.ctx.inside_project(target):
                            called.add(_resolved(target))
        return called

    def _opaque(self, view, span, resource: str, what: str, trait: str, raw: str) -> Exposure:
        """Firewall rules portlint cannot see (a remote module, a resource type it does not
        evaluate): one unresolved exposure, reported by PL501 in words for the case."""
        from portlint.model import Location, PortRange

        block = view.span
        context = None if block == span else Location(view.file, block.line, block.end_line, block.column)
        return Exposure(
            kind="terraform", location=Location(view.file, span.line, span.end_line, span.column),
            context=context, resource=view.address, protocol="all", port_range=PortRange(0, 65535),
            sources=(what,), scope="unknown", unresolved=(what,),
            traits=frozenset({"unresolved-port", trait}), raw=raw)

    def _fail(self, exc: BaseException, file: str, span, what: str) -> None:
        from portlint.parsers.terraform.module import describe_failure

        failure = describe_failure(exc, file, span, what)
        if failure not in self.errors[failure.file]:
            self.errors[failure.file].append(failure)

    def _stamp(self, exposures: Iterable[Exposure], trail: "_Trail", reads: dict[Step, Any]) -> None:
        """Record exposures with the root they are reached from, the calls on the way and
        the origins of the values that decided them. Ordered rule sets are kept per root:
        two roots are two deployments, even of one module."""
        from dataclasses import replace

        for exposure in exposures:
            policy = f"{exposure.policy}@{trail.shown}" if exposure.policy else ""
            exposure = replace(exposure, root=trail.shown, via=trail.via, policy=policy,
                               origins=_deciding(reads, exposure))
            self.exposures[exposure.location.file].append(exposure)

    def _evaluate(self, directory: Path, inputs: dict[str, Callable[[], Any]], address: str, depth: int,
                  stack: tuple[Path, ...], asker: tuple[str, int, str] | None = None,
                  trail: "_Trail | None" = None, origins: dict[str, tuple[Step, ...]] | None = None) -> None:
        from portlint.parsers.terraform.module import Module, tracing
        from portlint.parsers.terraform.resources import ADAPTERS
        from portlint.parsers.terraform.values import budget

        trail = trail or _Trail(directory, self.ctx.display_path(directory), (), ())
        self.evaluated.add(directory)
        self.module_instances += 1
        module = Module(directory, self.module_units(directory, asker), inputs, address,
                        input_origins=origins or {})
        for located in module.resource_blocks:
            kind = located.item.labels[0]
            key = ".".join(located.item.labels)
            if kind not in ADAPTERS:
                if kind in UNEVALUATED_TYPES:
                    self._unevaluated(module, located, key, trail)
                continue
            found: list[Exposure] = []
            with tracing() as reads:
                try:  # one resource block (all its instances) is the unit that a failure costs
                    with budget(self.budget):
                        for view in module.instances(located.item, located.unit, f"{module.address}{key}"):
                            found.extend(ADAPTERS[kind](view))
                except Exception as exc:
                    self._fail(exc, located.unit.display, located.item.span, f"resource {key}")
            self._stamp(found, trail, reads)
        for name, located in module.module_blocks.items():
            try:
                with budget(self.budget):
                    self._call(module, name, located, directory, depth, stack, trail)
            except Exception as exc:
                self._fail(exc, located.unit.display, located.item.span, f"module {name}")
        for problem in module.problems:
            if problem not in self.errors[problem.file]:
                self.errors[problem.file].append(problem)

    def _unevaluated(self, module, located, key: str, trail: "_Trail") -> None:
        """A firewall resource type portlint knows of but does not evaluate: PL501 per instance."""
        from portlint.parsers.terraform.values import budget

        kind = located.item.labels[0]
        try:
            with budget(self.budget):
                views = module.instances(located.item, located.unit, f"{module.address}{key}")
        except Exception as exc:
            self._fail(exc, located.unit.display, located.item.span, f"resource {key}")
            return
        what = f"{kind} ({UNEVALUATED_TYPES[kind]}) is not evaluated by portlint"
        self._stamp([self._opaque(view, view.span, view.address, what, "unevaluated-resource", kind)
                     for view in views], trail, {})

    def _call(self, module, name: str, located, directory: Path, depth: int, stack: tuple[Path, ...],
              trail: "_Trail | None" = None) -> None:
        """One module call: its instances, and the called module evaluated for each."""
        from portlint.parsers.terraform import remote_modules, sg_module
        from portlint.parsers.terraform.module import ModuleCall, tracing
        from portlint.parsers.terraform.values import TerraformError

        trail = trail or _Trail(directory, self.ctx.display_path(directory), (), ())
        block = located.item
        source_attr = block.body.attributes.get("source")
        source = self._source_of(block)
        if not isinstance(source, str):
            return
        call = ModuleCall(name, block, located.unit, source)
        keys = trail.keys + (name,)
        with tracing() as reads:
            instances = module.instances(block, located.unit, f"{module.address}module.{name}")
        preset = sg_module.preset_of(call.source)
        if preset is not False:
            for view in instances:
                with tracing() as more:
                    found = list(sg_module.expand(view, preset or None))
                self._stamp(found, trail, {**reads, **more})
            return
        expand = remote_modules.expander_of(call.source)
        if expand is not None:
            for view in instances:
                with tracing() as more:
                    found = list(expand(view))
                self._stamp(found, trail, {**reads, **more})
            return
        line = source_attr.span.line
        if not _is_local(call.source):
            downloaded = self._downloaded(trail, keys, call, line)
            if downloaded is None:
                for view in instances:
                    looks = remote_modules.firewall_arguments(view, _META_ARGUMENTS)
                    if looks or _FIREWALL_MODULE.search(call.source):
                        span = view.attribute(looks[0]).span if looks else view.span
                        what = f"remote module {call.source}: its rules are not in this tree"
                        self._stamp([self._opaque(view, span, view.address, what, "remote-module",
                                                  ", ".join(looks[:5]))], trail, reads)
                return
            target = downloaded
        else:
            target = Path(os.path.normpath(directory / call.source))
            if not self.ctx.inside_project(target):
                root = self.ctx.project_root.as_posix() if self.ctx.project_root else "?"
                raise TerraformError(f"module source {call.source} is outside the project root {root}; not read",
                                     line, source_attr.span.column)
            target = _resolved(target)
            if target == directory:
                raise TerraformError(f"module source {call.source} calls its own module", line,
                                     source_attr.span.column)
            if not target.is_dir() and target not in {p.parent for p in self.texts}:
                raise TerraformError(f"module source {call.source} not found", line, source_attr.span.column)
            if not any(_is_module_file(p.name) for p in self._list(target)):
                raise TerraformError(f"module source {call.source} holds no Terraform files (.tf, .tf.json)",
                                     line, source_attr.span.column)
        if target in stack or target == directory:
            names = [self.ctx.display_path(d) for d in stack[stack.index(target):]] if target in stack else []
            names += [self.ctx.display_path(directory), self.ctx.display_path(target)]
            raise TerraformError(f"module cycle: {' -> '.join(names)}", line, source_attr.span.column)
        if depth + 1 > limits.TF_MODULE_DEPTH:
            raise LimitExceeded(f"module nesting ({depth + 1} levels)", limits.TF_MODULE_DEPTH, "TF_MODULE_DEPTH",
                                line)
        asker = (located.unit.display, line, call.source)
        for view in instances:
            if self.module_instances >= limits.TF_MODULE_INSTANCES:
                raise LimitExceeded("module instances in this run", limits.TF_MODULE_INSTANCES,
                                    "TF_MODULE_INSTANCES", block.span.line)
            arguments = {name: attr for name, attr in block.body.attributes.items()
                         if name not in _META_ARGUMENTS}
            child_inputs = {name: (lambda a=attr, v=view: _eval_in(a, v)) for name, attr in arguments.items()}
            child_origins = {name: (Step(f"argument {name} of {view.address}", view.file, attr.span.line,
                                         attr.span.column),) for name, attr in arguments.items()}
            step = Step(view.address, view.file, block.span.line, block.span.column)
            child = _Trail(trail.directory, trail.shown, trail.via + (step,), keys)
            self._evaluate(target, child_inputs, f"{view.address}.", depth + 1, stack + (directory,), asker,
                           child, child_origins)

    def _downloaded(self, trail: "_Trail", keys: tuple[str, ...], call, line: int) -> Path | None:
        """The folder ``terraform init`` downloaded a remote module call into, from the root's
        ``.terraform/modules/modules.json``; only folders inside that ``.terraform/modules``."""
        manifest = trail.directory / ".terraform" / "modules" / "modules.json"
        entries = self._manifest(manifest, call.unit.display, line)
        folder = entries.get(".".join(keys))
        if folder is None:
            return None
        target = _resolved(Path(os.path.normpath(trail.directory / folder)))
        base = _resolved(trail.directory / ".terraform" / "modules")
        if target == base or base not in target.parents or not self.ctx.inside_project(target):
            self.error(call.unit.display, line, f"module source {call.source}: "
                       f"{self.ctx.display_path(manifest)} points outside .terraform/modules ({folder!r}); not read")
            return None
        if not target.is_dir():
            return None
        return target

    def _manifest(self, path: Path, asker: str, line: int) -> dict[str, str]:
        """``Key`` -> ``Dir`` of a modules.json (cached; an unreadable one is reported once, at
        the call that needed it)."""
        if path in self.manifests:
            return self.manifests[path]
        self.manifests[path] = {}
        import json

        try:
            loaded = self._text(path)
        except ReadRefused as exc:
            self.error(asker, line, f"cannot read {self.ctx.display_path(path)}: {exc.reason}")
            return {}
        if loaded is None:
            return {}
        display, text = loaded
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            self.error(display, getattr(exc, "lineno", 1) or 1, f"not a Terraform modules manifest: {exc}")
            return {}
        modules = data.get("Modules") if isinstance(data, dict) else None
        if not isinstance(modules, list):
            self.error(display, 1, "not a Terraform modules manifest: no \"Modules\" list")
            return {}
        found = {}
        for entry in modules[:limits.TF_MODULE_INSTANCES]:
            if isinstance(entry, dict) and isinstance(entry.get("Key"), str) and isinstance(entry.get("Dir"), str):
                found[entry["Key"]] = entry["Dir"]
        self.manifests[path] = found
        return found


@dataclass(frozen=True)
class _Trail:
    """Where a module instance sits: its root (folder and shown name), the calls from the
    root (outermost first) and the call names (``modules.json`` keys)."""

    directory: Path
    shown: str
    via: tuple[Step, ...]
    keys: tuple[str, ...]


def _deciding(reads: dict[Step, Any], exposure: Exposure) -> tuple[Step, ...]:
    """The origins whose value holds one of the exposure's sources or port numbers."""
    if not reads:
        return ()
    wanted = set(exposure.sources)
    ports = exposure.port_range
    if not ports.is_all:
        wanted |= {str(ports.start), str(ports.end), str(ports)}
    return tuple(step for step, value in reads.items() if _mentions(value, wanted))


def _mentions(value: Any, wanted: set[str]) -> bool:
    """Does a value (walked breadth-first, at most TF_COLLECTION items) hold a wanted text?"""
    pending, seen = [value], 0
    while pending and seen < limits.TF_COLLECTION:
        item = pending.pop()
        seen += 1
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, (int, float)):
            if isinstance(item, int) or item == int(item):
                if str(int(item)) in wanted:
                    return True
        elif isinstance(item, str):
            text = item.strip()
            if text in wanted or ("," in text and any(p.strip() in wanted for p in text.split(",")[:64])):
                return True
    return False


_META_ARGUMENTS = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


def _eval_in(attr, view) -> Any:
    """A module argument, evaluated in the caller; its errors belong to the caller's file."""
    from portlint.parsers.terraform.evaluate import evaluate
    from portlint.parsers.terraform.module import _in_file

    return _in_file(view.file, lambda: evaluate(attr.expr, view.scope))


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def _is_local(source: str) -> bool:
    """A folder on disk: ``./x``, ``../x``, or an absolute path (checked against the project root)."""
    return source.startswith(("./", "../", "/")) or source in (".", "..") or os.path.isabs(source)

