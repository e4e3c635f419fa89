"""Ansible ``ufw`` and ``firewalld`` tasks in playbooks, task files and roles.

Tasks are read in order, inside ``block``/``rescue``/``always`` and the
``tasks``/``pre_tasks``/``post_tasks``/``handlers`` of plays; a ``loop`` over a
literal list gives one rule per item. ufw rules are
evaluated first-match in task order (``insert`` moves a rule up), with ufw's
default of denying incoming traffic unless a ``policy`` task says otherwise.
firewalld ports and services open in their zone: ``public``, ``external`` and
``dmz`` (and the default zone, public) face the internet; ``internal``,
``home``, ``work`` and ``trusted`` are private. Rich rules are read for their
source, port or service and accept/reject/drop action.

Tasks are read as they run (see ``portlint.parsers.ansible_vars``): ``when:`` that
is false (a literal, or a simple test of known variables) skips the task or
block, and ``{{ var }}`` in module arguments is filled from role defaults,
inventory ``group_vars``/``host_vars`` beside the playbook, play ``vars``, role
``vars``, block and task ``vars``, with Ansible's precedence. Where the groups
of a play give different values, the most exposed one is judged and named.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from pathlib import Path
from itertools import chain
from typing import Any, Callable, Iterable, Iterator

from portlint.model import Exposure, InputError, Location, ParseOutcome, PortRange
from portlint.netscope import classify_sources
from portlint.parsers import ParseContext, SourceFile, kubernetes_stream, yaml_documents
from portlint import limits
from portlint.limits import LimitExceeded
from portlint.parsers.ansible_inventory import Inventory, read_inventory
from portlint.parsers.ansible_vars import (Scope, Value, alternatives, host_patterns, layer, names_in, read_vars,
                                          render_known, variants, when)
from portlint.protocols import ALL_PORTS, normalize_protocol, parse_port_text
from portlint.parsers.units import Invalid, Units, checked_address, expect, short, type_name
from portlint.yamlpos import LocatedDict, LocatedList, Span

UFW_MODULES = ("ufw", "community.general.ufw")
FIREWALLD_MODULES = ("firewalld", "ansible.posix.firewalld")
AZURE_NSG_MODULES = ("azure_rm_securitygroup", "azure.azcollection.azure_rm_securitygroup")
EC2_SG_MODULES = ("ec2_group", "ec2_security_group", "amazon.aws.ec2_group", "amazon.aws.ec2_security_group")
GCP_FIREWALL_MODULES = ("gcp_compute_firewall", "google.cloud.gcp_compute_firewall")
#: module names whose tasks make a file an Ansible file for portlint
SNIFF_MODULES = frozenset((*UFW_MODULES, *FIREWALLD_MODULES, *AZURE_NSG_MODULES, *EC2_SG_MODULES,
                           *GCP_FIREWALL_MODULES))
#: the same module names as keys anywhere: flow style ``- {hosts: db, tasks: [{ufw: {...}}]}``, quoted keys
#: (the character before the name is checked by ``_module_key``; longest names first)
_MODULE_KEY = re.compile(r"(?:%s)[\"']?[ \t]*:" % "|".join(
    re.escape(m) for m in sorted(SNIFF_MODULES, key=len, reverse=True)))
#: substrings every module name holds: a file without any is not scanned further
_MODULE_WORDS = ("ufw", "firewall", "group")
ANY = ("0.0.0.0/0", "::/0")
PUBLIC_ZONES = frozenset({"public", "external", "dmz", "drop", "block"})
BLOCK_KEYS = ("block", "rescue", "always")
LOOP_KEYS = ("loop", "with_items", "with_list")
_ITEM = re.compile(r"\{\{\s*item(?:\.(\w+)|\[['\"](\w+)['\"]\])?\s*\}\}")
PLAY_KEYS = ("pre_tasks", "tasks", "post_tasks", "handlers")

#: ufw application profiles and firewalld services that the port registry names differently.
NAMED_SERVICES: dict[str, list[tuple[str, int, int]]] = {
    "openssh": [("tcp", 22, 22)], "ssh": [("tcp", 22, 22)], "http": [("tcp", 80, 80)],
    "https": [("tcp", 443, 443)], "nginx full": [("tcp", 80, 80), ("tcp", 443, 443)],
    "nginx http": [("tcp", 80, 80)], "nginx https": [("tcp", 443, 443)], "apache": [("tcp", 80, 80)],
    "apache full": [("tcp", 80, 80), ("tcp", 443, 443)], "apache secure": [("tcp", 443, 443)],
    "mysql": [("tcp", 3306, 3306)], "postgresql": [("tcp", 5432, 5432)], "redis": [("tcp", 6379, 6379)],
    "mongodb": [("tcp", 27017, 27017)], "ftp": [("tcp", 21, 21)], "telnet": [("tcp", 23, 23)],
    "rdp": [("tcp", 3389, 3389)], "vnc-server": [("tcp", 5900, 5903)], "samba": [("tcp", 139, 139),
    ("tcp", 445, 445), ("udp", 137, 138)], "nfs": [("tcp", 2049, 2049)], "dns": [("tcp", 53, 53), ("udp", 53, 53)],
    "ntp": [("udp", 123, 123)], "snmp": [("udp", 161, 161)], "docker-swarm": [("tcp", 2377, 2377),
    ("tcp", 7946, 7946), ("udp", 7946, 7946), ("udp", 4789, 4789)], "kube-apiserver": [("tcp", 6443, 6443)],
    "elasticsearch": [("tcp", 9200, 9200), ("tcp", 9300, 9300)], "memcache": [("tcp", 11211, 11211)],
    "ldap": [("tcp", 389, 389)], "cockpit": [("tcp", 9090, 9090)], "smtp": [("tcp", 25, 25)],
}


class AnsibleParser:
    name = "ansible"

    def claims(self, path: Path, text: str | None) -> bool:
        if text is None or path.suffix not in (".yml", ".yaml"):
            return False
        if kubernetes_stream(text):
            return False  # column-0 kind: and apiVersion: is a mapping, never a play list: a manifest
        return _module_key(text)

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        for source in files:
            yield parse_tasks(source, ctx)


def _module_key(text: str) -> bool:
    """A module portlint reads named as a key anywhere (block or flow style, quoted or not); linear."""
    if not any(word in text for word in _MODULE_WORDS):
        return False
    for match in _MODULE_KEY.finditer(text):
        start = match.start()
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "_.-"):
            return True
    return False


def sniff(text: str) -> bool:
    """Does a line (``- ufw:``, ``  community.general.ufw:``) use a module portlint reads? Linear, no regex."""
    for line in text.splitlines():
        word = line.lstrip(" \t")
        if word.startswith("-"):
            word = word[1:].lstrip(" \t")
        name, colon, _ = word.partition(":")
        if colon and name.rstrip(" \t") in SNIFF_MODULES:
            return True
    return False


def _service_ports(name: str) -> list[tuple[str, PortRange]] | None:
    known = NAMED_SERVICES.get(name.strip().lower())
    if known:
        return [(proto, PortRange(low, high)) for proto, low, high in known]
    from portlint.registry import load_registry

    found = [s for s in load_registry().by_name(name) if s.name.lower() == name.strip().lower()]
    if not found:
        return None
    service = found[0]
    protocol = "tcp" if "tcp" in service.protocols else sorted(service.protocols)[0]
    return [(protocol, service.ports)]


def _scalar_args(args: dict, keys: Iterable[str]) -> None:
    """A module argument that Ansible takes as one word or number must not be a list or mapping:
    ``rule: [allow]`` or ``port: [1, 2]`` read as text matched nothing and the task was passed over."""
    for key in keys:
        value = args.get(key)
        if isinstance(value, (list, tuple, dict)):
            raise Invalid(f"{key} must be a string or a number, got {type_name(value)}",
                          args.spans.get(key) if isinstance(args, LocatedDict) else None)


def _ufw_ports(text: str) -> tuple[PortRange, str | None]:
    """ufw ports: ``22``, ``8000:8100`` or ``8000-8100``, optionally ``/tcp``."""
    body, _, proto = str(text).partition("/")
    return parse_port_text(body.replace(":", "-")), (proto.strip().lower() or None)


class _TaskReader:
    def __init__(self, file: str, variables: "_Variables | None" = None):
        self.file = file
        self.units = Units(file)
        self.out: list[Exposure] = []  # what the unit being read produces
        self.order = 0
        self.ufw_default_allow: Span | None = None
        self.variables = variables or _Variables(None, None, file)
        self.scope: Scope = {}

    @property
    def exposures(self) -> list[Exposure]:
        return self.units.exposures

    def location(self, span: Span) -> Location:
        return Location(self.file, span.line, span.end_line, span.column)

    def unit(self, span: Span, label: str, read: Callable[[], None]) -> bool:
        """Read one unit (a task, a loop item, a rule of a cloud module); a failure costs only that unit."""
        outer = self.out

        def body() -> list[Exposure]:
            self.out = []
            read()
            return self.out
        try:
            return self.units.run(span.line, span.column, label, body)
        finally:
            self.out = outer

    def walk(self, items: Any, scope: Scope | None = None) -> None:
        """Tasks in order, entering plays and blocks (iteratively: blocks may nest deeply)."""
        base = self.variables.file_scope() if scope is None else scope
        stack: list[tuple[Iterator, Scope]] = [(self._tasks(items), base)]
        while stack and not self.units.full:
            iterator, outer = stack[-1]
            item = next(iterator, None)
            if item is None:
                stack.pop()
                continue
            task, span = item
            if "hosts" in task or "import_playbook" in task:
                play_scope = self.variables.play_scope(task, span, self.units)
                stack.append((chain.from_iterable(self._tasks(task.get(key)) for key in PLAY_KEYS), play_scope))
                continue
            inner = layer(outer, task.get("vars"), "task vars" if not any(k in task for k in BLOCK_KEYS)
                          else "block vars", self.file)
            if "when" in task and when(task["when"], inner) is False:
                continue  # `when:` is false: the task (or the whole block) does not run
            self.scope = inner
            self.unit(span, _task_name(task), lambda: self._task(task, span))
            nested = [task[key] for key in BLOCK_KEYS if key in task]
            if nested:
                stack.append((chain.from_iterable(self._tasks(items) for items in nested), inner))

    @staticmethod
    def _tasks(items: Any) -> Iterator[tuple[LocatedDict, Span]]:
        if not isinstance(items, list):
            return
        spans = items.spans if isinstance(items, LocatedList) else []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield item, spans[index] if index < len(spans) else getattr(items, "span", Span(1, 1, 1))

    def _task(self, item: dict, span: Span) -> None:
        for module in UFW_MODULES:
            if module in item:
                self._guard(self._ufw, item[module], span, item)
        for module in FIREWALLD_MODULES:
            if module in item:
                self._guard(self._firewalld, item[module], span, item)
        for modules, reader in ((AZURE_NSG_MODULES, self._azure_nsg), (EC2_SG_MODULES, self._ec2_group),
                                (GCP_FIREWALL_MODULES, self._gcp_firewall)):
            for module in modules:
                if module in item:
                    reader(expect(item[module], dict, module), span, item)

    def _guard(self, reader, args: Any, span: Span, task: dict) -> None:
        items = next((task[k] for k in LOOP_KEYS if k in task), None)
        if isinstance(items, list):
            spans = items.spans if isinstance(items, LocatedList) else [span] * len(items)
            for item, item_span in zip(items, spans):  # `loop:` / `with_items:` with a literal list
                if not self.unit(item_span, f"{_task_name(task)} (loop item)",
                                 lambda: self._guard_one(reader, _render_item(args, item), span, task)):
                    return
            return
        self._guard_one(reader, args, span, task)

    def _guard_one(self, reader, args: Any, span: Span, task: dict) -> None:
        if isinstance(args, str):  # free-form "rule=allow port=22"
            text = args
            try:
                args = dict(part.split("=", 1) for part in shlex.split(text) if "=" in part)
            except ValueError:
                args = {}
            if not args and text.strip():
                raise Invalid(f"free-form module arguments must be key=value pairs, got {short(text)}")
        if args is None:
            return
        args = expect(args, dict, "the module's arguments")
        outer = self.out
        best: tuple[int, list[Exposure]] | None = None
        for rendered, origins in variants(args, self.scope):
            self.out = []
            try:
                self._read_rendered(reader, rendered, span, task)
                produced = [replace(e, origins=origins) for e in self.out] if origins else self.out
            finally:
                self.out = outer
            rank = _exposed_rank(produced)
            if best is None or rank > best[0]:
                best = (rank, produced)  # where values differ (groups, hosts), the most exposed one is judged
        if best is not None:
            self.out.extend(best[1])

    def _read_rendered(self, reader, args: dict, span: Span, task: dict) -> None:
        if any("{{" in str(v) for v in args.values()):
            unresolved = [k for k, v in args.items() if "{{" in str(v)]
            self._unresolved(span, task, unresolved)
            return
        reader(args, span, task)

    def _unresolved(self, span: Span, task: dict, keys: list[str]) -> None:
        self.out.append(Exposure(
            kind="ansible", location=self.location(span), resource=_task_name(task), protocol="all",
            port_range=ALL_PORTS, sources=("{{ templated }}",), scope="unknown",
            unresolved=tuple(f"{k} (Jinja template)" for k in keys), traits=frozenset({"unresolved-port"})))

    # -- ufw --------------------------------------------------------------------------

    def _ufw(self, args: dict, span: Span, task: dict) -> None:
        _scalar_args(args, ("rule", "port", "to_port", "proto", "protocol", "direction", "policy", "name", "app",
                            "insert", "delete"))
        if str(args.get("delete", "no")).lower() in ("yes", "true"):
            return
        direction = str(args.get("direction", "in")).lower()
        if "policy" in args and "rule" not in args:
            if str(args["policy"]).lower() == "allow" and direction in ("in", "incoming"):
                self.ufw_default_allow = span
            return
        rule = str(args.get("rule", "")).lower()
        if rule not in ("allow", "deny", "reject", "limit"):
            return
        action = "allow" if rule in ("allow", "limit") else "deny"
        direction = "egress" if direction in ("out", "outgoing") else "ingress"
        source = checked_address(args.get("from_ip", args.get("src", args.get("from", "any"))), "from_ip")
        sources = ANY if str(source).lower() in ("any", "") else (str(source),)
        self.order += 1
        insert = _small_int(args.get("insert"))
        priority = insert if insert is not None and insert >= 0 else 1000 + self.order
        entries: list[tuple[str, PortRange]] = []
        if "name" in args or "app" in args:
            named = _service_ports(str(args.get("name", args.get("app"))))
            if named is None:
                raise ValueError(f"unknown ufw application profile {args.get('name', args.get('app'))!r}")
            entries = named
        elif "port" in args or "to_port" in args:
            ports, suffix = _ufw_ports(str(args.get("port", args.get("to_port"))))
            proto = str(args.get("proto", args.get("protocol", suffix or "any"))).lower()
            entries = [("all" if proto in ("any", "") else proto, ports)]
        else:
            proto = str(args.get("proto", "any")).lower()
            entries = [("all" if proto in ("any", "") else proto, ALL_PORTS)]
        for protocol, ports in entries:
            self.out.append(Exposure(
                kind="ansible", location=self.location(span), resource=f"ufw: {_task_name(task)}",
                protocol=protocol, port_range=ports, sources=sources, scope=classify_sources(sources),
                direction=direction, action=action, policy=f"ufw:{self.file}", priority=priority))

    def finish(self) -> None:
        if self.ufw_default_allow is not None:
            span = self.ufw_default_allow
            self.unit(span, "ufw default policy", lambda: self._default_allow(span))

    def _default_allow(self, span: Span) -> None:
        if span is not None:
            self.out.append(Exposure(
                kind="ansible", location=self.location(self.ufw_default_allow), resource="ufw: default policy allow",
                protocol="all", port_range=ALL_PORTS, sources=ANY, scope="internet", action="allow",
                policy=f"ufw:{self.file}", priority=float("inf")))

    # -- cloud firewall modules ---------------------------------------------------------

    def _rule_items(self, args: dict, key: str, span: Span, task: dict) -> Iterator[tuple[dict, Span]]:
        """The rules of a cloud module; each is read as a unit of its own (the caller's loop body)."""
        rules = args.get(key)
        if rules is None:
            return
        rules = expect(rules, list, key)
        spans = rules.spans if isinstance(rules, LocatedList) else [span] * len(rules)
        for index, (rule, rule_span) in enumerate(zip(rules, spans)):
            if not isinstance(rule, dict):
                self.units.error(rule_span.line, f"{_task_name(task)}: {key}[{index}] must be a mapping, "
                                 f"got {type_name(rule)}", rule_span.column)
                continue
            yield rule, rule_span

    def _each_rule(self, args: dict, key: str, span: Span, task: dict, read: Callable[[dict, Span], None]) -> None:
        for rule, rule_span in self._rule_items(args, key, span, task):
            if not self.unit(rule_span, _task_name(task), lambda: read(rule, rule_span)):
                return

    def _cloud_exposure(self, span: Span, resource: str, protocol: str, ports: PortRange,
                        sources: tuple[str, ...], direction: str = "ingress", action: str = "allow",
                        policy: str = "", priority: float = 0, unresolved: tuple[str, ...] = ()) -> None:
        known = [s for s in sources if not s.startswith(("sg:", "tag:"))]
        scope = classify_sources(known, bool(unresolved)) if known or unresolved else "private"
        self.out.append(Exposure(
            kind="ansible", location=self.location(span), resource=resource, protocol=protocol, port_range=ports,
            sources=sources, scope=scope, direction=direction, action=action, policy=policy, priority=priority,
            unresolved=unresolved))

    def _azure_nsg(self, args: dict, span: Span, task: dict) -> None:
        name = str(args.get("name", _task_name(task)))

        def read(rule: dict, rule_span: Span) -> None:
            direction = "egress" if str(rule.get("direction", "Inbound")).lower() == "outbound" else "ingress"
            key = "source_address_prefix" if direction == "ingress" else "destination_address_prefix"
            prefixes = rule.get(key, "*")
            prefixes = prefixes if isinstance(prefixes, list) else [prefixes]
            sources = tuple(_azure_source(checked_address(p, key)) for p in prefixes)
            protocol = _protocol(rule.get("protocol", "*"))
            values = rule.get("destination_port_range", "*")
            values = values if isinstance(values, list) else str(values).split(",")
            for value in values:
                ports = ALL_PORTS if protocol not in ("tcp", "udp", "all") else parse_port_text(value)
                self._cloud_exposure(rule_span, f"azure_rm_securitygroup {name} / rule {rule.get('name', '?')}",
                                     protocol, ports, sources, direction,
                                     "deny" if str(rule.get("access", "Allow")).lower() == "deny" else "allow",
                                     f"nsg:{self.file}:{name}", _number(rule.get("priority"), 4096))
        self._each_rule(args, "rules", span, task, read)

    def _ec2_group(self, args: dict, span: Span, task: dict) -> None:
        if str(args.get("state", "present")).lower() == "absent":
            return
        name = str(args.get("name", _task_name(task)))
        for key, direction in (("rules", "ingress"), ("rules_egress", "egress")):
            def read(rule: dict, rule_span: Span, direction: str = direction) -> None:
                protocol = _protocol(rule.get("proto", rule.get("ip_protocol", "tcp")))
                sources: list[str] = []
                for cidr_key in ("cidr_ip", "cidr_ipv6"):
                    value = rule.get(cidr_key)
                    sources.extend(checked_address(v, cidr_key)
                                   for v in (value if isinstance(value, list) else [value]) if v)
                for group_key in ("group_id", "group_name"):
                    if rule.get(group_key):
                        sources.append(f"sg:{rule[group_key]}")
                if not sources:
                    return
                if "ports" in rule:
                    values = rule["ports"] if isinstance(rule["ports"], list) else [rule["ports"]]
                    ranges = [parse_port_text(v) for v in values]
                elif protocol == "all" or protocol not in ("tcp", "udp"):
                    ranges = [ALL_PORTS]
                else:
                    low, high = rule.get("from_port"), rule.get("to_port", rule.get("from_port"))
                    if low is None:
                        raise Invalid(f"rule for {protocol} has no from_port or ports")
                    everything = low in (-1, "-1") and high in (-1, "-1", None)
                    ranges = [ALL_PORTS] if everything else [_port_pair(low, high)]
                for ports in ranges:
                    self._cloud_exposure(rule_span, f"ec2_security_group {name}", protocol, ports,
                                         tuple(sources), direction)
            self._each_rule(args, key, span, task, read)

    def _gcp_firewall(self, args: dict, span: Span, task: dict) -> None:
        if args.get("disabled") is True or str(args.get("state", "present")).lower() == "absent":
            return
        name = str(args.get("name", _task_name(task)))
        direction = "egress" if str(args.get("direction", "INGRESS")).upper() == "EGRESS" else "ingress"
        ranges_key = "source_ranges" if direction == "ingress" else "destination_ranges"
        sources = tuple(checked_address(s, ranges_key) for s in expect(args.get(ranges_key) or [], list, ranges_key))
        sources += tuple(f"tag:{t}" for t in expect(args.get("source_tags") or [], list, "source_tags"))
        if not sources:
            sources = ANY
        for key, action in (("allowed", "allow"), ("denied", "deny")):
            def read(rule: dict, rule_span: Span, action: str = action) -> None:
                protocol = _protocol(rule.get("ip_protocol", "all"))
                values = expect(rule.get("ports") or ["0-65535"], list, "ports")
                for value in values:
                    ports = ALL_PORTS if protocol not in ("tcp", "udp", "sctp") else parse_port_text(value)
                    self._cloud_exposure(rule_span, f"gcp_compute_firewall {name}", protocol, ports, sources,
                                         direction, action, f"gcp:{self.file}:{args.get('network', 'default')}",
                                         _number(args.get("priority"), 1000) - (0.5 if action == "deny" else 0))
            self._each_rule(args, key, span, task, read)

    # -- firewalld ----------------------------------------------------------------------

    def _firewalld(self, args: dict, span: Span, task: dict) -> None:
        _scalar_args(args, ("state", "zone", "rich_rule", "port", "service", "source"))
        state = str(args.get("state", "enabled")).lower()
        if state not in ("enabled", "present"):
            return
        zone = str(args.get("zone", "public")).lower()
        zone_sources = ANY if zone in PUBLIC_ZONES else (f"zone:{zone}",)
        resource = f"firewalld: {_task_name(task)}"
        policy = f"firewalld:{self.file}:{zone}"
        if "rich_rule" in args:
            self._rich_rule(str(args["rich_rule"]), span, resource, zone_sources, policy)
            return
        entries: list[tuple[str, PortRange]] = []
        if "port" in args:
            body, _, proto = str(args["port"]).partition("/")
            ports, _ = _ufw_ports(body)
            entries = [((proto or "tcp").lower(), ports)]
        elif "service" in args:
            named = _service_ports(str(args["service"]))
            if named is None:
                raise ValueError(f"unknown firewalld service {args['service']!r}")
            entries = named
        elif "source" in args:
            return  # binds a source range to the zone; exposure comes from the zone's ports
        for protocol, ports in entries:
            scope = classify_sources(zone_sources) if zone in PUBLIC_ZONES else "private"
            # firewalld checks rich rules of priority <= 0 before a zone's ports and services
            self.out.append(Exposure(
                kind="ansible", location=self.location(span), resource=resource, protocol=protocol,
                port_range=ports, sources=zone_sources, scope=scope, policy=policy, priority=0.5))

    def _rich_rule(self, text: str, span: Span, resource: str, zone_sources: tuple[str, ...],
                   policy: str) -> None:
        try:
            words = shlex.split(text)
        except ValueError:
            words = text.replace('"', " ").replace("'", " ").split()
        fields: dict[str, str] = {}
        for i, word in enumerate(words):
            if "=" in word:
                key, _, value = word.partition("=")
                context = words[i - 1] if i and "=" not in words[i - 1] else ""
                fields[f"{context}.{key}" if context else key] = value
        action = next((w for w in words if w in ("accept", "reject", "drop")), None)
        if action is None:
            return
        source = fields.get("source.address") or fields.get("address")
        if source:
            source = checked_address(source, "rich_rule source address")
        if source and "not" not in words:
            sources, scope = (source,), classify_sources((source,))
        elif source:  # "source not address=X": everyone but X
            sources, scope = ANY, "internet"
        else:
            sources, scope = zone_sources, "internet" if zone_sources == ANY else "private"
        entries: list[tuple[str, PortRange]] = []
        if "port.port" in fields:
            ports, _ = _ufw_ports(fields["port.port"])
            entries = [(fields.get("port.protocol", fields.get("protocol", "tcp")).lower(), ports)]
        elif "service.name" in fields:
            entries = _service_ports(fields["service.name"]) or []
        else:
            entries = [("all", ALL_PORTS)]
        written = fields.get("priority", "")
        number = _small_int(written.removeprefix("-"))
        priority: float = 0 if number is None else -number if written.startswith("-") else number
        if priority == 0 and action != "accept":
            priority = -0.25  # at priority 0 firewalld applies deny rich rules before allow ones
        for protocol, ports in entries:
            self.out.append(Exposure(
                kind="ansible", location=self.location(span), resource=resource, protocol=protocol,
                port_range=ports, sources=sources, scope=scope,
                action="allow" if action == "accept" else "deny", policy=policy,
                priority=priority))


def _render_item(args: Any, item: Any) -> Any:
    """Replace ``{{ item }}`` and ``{{ item.key }}`` in a task's arguments with one loop item."""
    def render(value: Any) -> Any:
        if not isinstance(value, str) or "{{" not in value:
            return value

        def replace(m: re.Match) -> str:
            key = m.group(1) or m.group(2)
            if key is None:
                return str(item)
            if isinstance(item, dict) and key in item:
                return str(item[key])
            return m.group(0)
        return _ITEM.sub(replace, value)
    if isinstance(args, dict):
        return {key: render(value) for key, value in args.items()}
    return render(args)


def _small_int(value: object) -> int | None:
    """An integer written in ASCII digits (at most 9), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) < 10**9 else None
    text = str(value).strip() if isinstance(value, str) else ""
    return int(text) if 0 < len(text) <= 9 and text.isascii() and text.isdigit() else None


def _port_pair(low: object, high: object) -> PortRange:
    """from_port/to_port of an ec2 rule as one range; ValueError with what was expected."""
    start, end = parse_port_text(low if isinstance(low, int) else str(low)), \
        parse_port_text(high if isinstance(high, int) else str(high))
    if start.start > end.end or start.start != start.end or end.start != end.end:
        raise Invalid(f"from_port {short(low)} and to_port {short(high)} must be ports from low to high")
    return PortRange(start.start, end.end)


def _protocol(value: object) -> str:
    protocol = normalize_protocol(value)
    if protocol is None:
        raise ValueError(f"{value!r} is not an IP protocol")
    return protocol


def _number(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _azure_source(prefix: str) -> str:
    lowered = prefix.strip().lower()
    if lowered in ("virtualnetwork", "azureloadbalancer"):
        return "tag:" + prefix
    return prefix


def _task_name(task: dict) -> str:
    return str(task.get("name", "unnamed task"))


def parse_tasks(source: SourceFile, ctx: ParseContext | None = None) -> ParseOutcome:
    file = source.display
    documents, failed = yaml_documents(source)
    if not any(isinstance(doc, list) for doc in documents) and not sniff(source.text):
        # claimed only by a module name somewhere, and no play or task list loads: not Ansible (a work
        # limit hit is still named: a flow-style play too large to read)
        limit_hits = tuple(e for e in failed.errors if "PORTLINT_MAX_" in e.message) if failed else ()
        return ParseOutcome(file, errors=limit_hits)
    reader = _TaskReader(file, _Variables(ctx, source.path, file))
    if failed:
        reader.units.errors.extend(failed.errors)  # a bad document or task costs only itself
    for doc in documents:
        if isinstance(doc, list):
            reader.walk(doc)
        elif isinstance(doc, LocatedDict):
            for key in (*PLAY_KEYS, *BLOCK_KEYS):
                reader.walk(doc.get(key))
    reader.units.errors.extend(e for e in reader.variables.errors if e not in reader.units.errors)
    reader.finish()
    return reader.units.outcome()


_SCOPE_ORDER = {"internet": 4, "restricted-public": 3, "unknown": 2, "private": 1, "local": 0}


def _exposed_rank(exposures: list[Exposure]) -> int:
    """How exposed a task's outcome is: the widest allowed scope, then how many ports it opens."""
    allowed = [e for e in exposures if e.action == "allow"]
    if not allowed:
        return -1
    widest = max(_SCOPE_ORDER.get(e.scope, 2) for e in allowed)
    ports = min(sum(e.port_range.size for e in allowed), 65536)
    return widest * 100_000 + ports


#: inventory files kept beside a playbook (INI or YAML); ``inventory`` may also be a folder of them
INVENTORY_NAMES = ("hosts", "hosts.ini", "hosts.yml", "hosts.yaml",
                   "inventory", "inventory.ini", "inventory.yml", "inventory.yaml")
#: file endings Ansible loads from a ``group_vars``/``host_vars`` folder ("" is a file without one)
VARS_ENDINGS = ("", ".yml", ".yaml", ".json")
#: folder depth walked inside a ``group_vars/<group>/`` folder (Ansible walks them recursively)
MAX_VARS_DEPTH = 8
#: distinct candidate values kept for one variable across the hosts of a play
MAX_CANDIDATES = 64


class _Variables:
    """The variables a task file sees, with Ansible's precedence (lowest first): role defaults;
    inventory file group vars; ``group_vars/all``; ``group_vars/<group>``; inventory file host vars;
    ``host_vars/<host>``; play ``vars``; ``vars_files``; role vars. Group and host variables are read
    for each host of the play (from the inventory files beside the playbook or in ``inventory/``),
    and hosts that end with different values each give a candidate."""

    def __init__(self, ctx: ParseContext | None, path: Path | None, file: str):
        self.ctx, self.path, self.file = ctx, path, file
        self.errors: list[InputError] = []
        self.role: Path | None = None
        #: folders holding inventories, group_vars and host_vars, lowest precedence first
        self.folders: list[Path] = []
        if path is not None:
            parts = path.parts
            if "roles" in parts[:-1]:
                index = len(parts) - 1 - parts[::-1].index("roles")
                if index + 2 < len(parts):
                    self.role = Path(*parts[:index + 2])
                    self.folders = [Path(*parts[:index]) / "inventory", Path(*parts[:index])] if index else []
            else:
                self.folders = [path.parent / "inventory", path.parent]
        self._defaults: Any = None
        self._role_vars: Any = None
        self._loaded = False
        self._vars_cache: dict[tuple[Path, str, str], list[tuple[Any, str]]] = {}
        self._listings: dict[tuple[Path, str], dict[str, bool]] = {}
        self._named: set[str] = set()
        self._inventory_read = False
        self._inventory: Inventory | None = None

    def _error(self, line: int, message: str) -> None:
        error = InputError(self.file, line, message)
        if error not in self.errors:
            self.errors.append(error)

    def _read(self, path: Path, line: int) -> Any:
        if self.ctx is None:
            return None
        shown = self.ctx.display_path(path)
        document, errors = read_vars(self.ctx, path, shown, self.file, line)
        self.errors.extend(e for e in errors if e not in self.errors)
        return document

    def _list(self, folder: Path, line: int) -> list[tuple[Path, bool]]:
        from portlint.inputs import ReadRefused

        if self.ctx is None:
            return []
        try:
            return self.ctx.list_dir(folder)
        except ReadRefused as exc:
            self._error(line, f"{self.ctx.display_path(folder)}: {exc}")
        except LimitExceeded as exc:
            self._error(line, exc.message)
        return []

    def _first(self, paths: list[Path], line: int) -> tuple[Any, str]:
        for path in paths:
            document = self._read(path, line)
            if document is not None:
                return document, self.ctx.display_path(path)
        return None, ""

    def _role_files(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.role is not None:
            self._defaults = self._first([self.role / "defaults" / "main.yml", self.role / "defaults" / "main.yaml"], 1)
            self._role_vars = self._first([self.role / "vars" / "main.yml", self.role / "vars" / "main.yaml"], 1)

    # -- group_vars and host_vars ----------------------------------------------------------

    def _vars_of(self, folder: Path, kind: str, name: str, line: int, probe: bool = True) -> list[tuple[Any, str]]:
        """The variable files of one group or host in one folder, as Ansible finds them: the first of
        ``<name>`` (a folder: every file in it, walked by name, or a file), ``<name>.yml``,
        ``<name>.yaml``, ``<name>.json``."""
        key = (folder, kind, name)
        if key in self._vars_cache:
            return self._vars_cache[key]
        found: list[tuple[Any, str]] = []
        self._vars_cache[key] = found
        if self.ctx is None:
            return found
        listing = self._listings.get((folder, kind))
        if listing is None:
            listing = self._listings[(folder, kind)] = {p.name: sub for p, sub in self._list(folder / kind, line)}
        for ending in VARS_ENDINGS:
            if f"{name}{ending}" in listing:
                path = folder / kind / f"{name}{ending}"
                files = self._walk(path, line) if listing[path.name] else [path]
                for file in files:
                    document = self._read(file, line)
                    if document is not None:
                        found.append((document, self.ctx.display_path(file)))
                return found
        if probe:  # not listed: a FIFO or a link out of the tree by that name is refused
            for ending in VARS_ENDINGS[1:]:
                self._read(folder / kind / f"{name}{ending}", line)
        return found

    def _walk(self, top: Path, line: int) -> list[Path]:
        """The files of a vars folder in Ansible's order: entries by name, a folder's files in its
        place; hidden and ``~`` files left out, folders with a dot in their name not entered."""
        files: list[Path] = []
        stack = [iter(self._list(top, line))]
        walked = 0
        while stack:
            entry = next(stack[-1], None)
            if entry is None:
                stack.pop()
                continue
            walked += 1
            if walked > limits.FILES:
                self._error(line, LimitExceeded(f"entries under {self.ctx.display_path(top)}",
                                                limits.FILES, "FILES").message)
                break
            path, is_folder = entry
            if path.name.startswith(".") or path.name.endswith("~"):
                continue
            if is_folder:
                if not path.suffix and len(stack) < MAX_VARS_DEPTH:
                    stack.append(iter(self._list(path, line)))
            elif path.suffix in VARS_ENDINGS:
                files.append(path)
        return files

    def _layer_all(self, scope: Scope, kind: str, name: str, label: str, line: int) -> Scope:
        for folder in self.folders:
            for document, shown in self._vars_of(folder, kind, name, line):
                scope = layer(scope, document, label, shown)
        return scope

    def _lower(self, line: int) -> Scope:
        self._role_files()
        scope: Scope = {}
        if self._defaults and self._defaults[0] is not None:
            scope = layer(scope, self._defaults[0], "role default", self._defaults[1])
        return scope

    def _upper(self, scope: Scope) -> Scope:
        if self._role_vars and self._role_vars[0] is not None:
            scope = layer(scope, self._role_vars[0], "role var", self._role_vars[1])
        return scope

    def file_scope(self) -> Scope:
        """Variables of a task file outside any play (a role's tasks): every host has group ``all``."""
        return self._upper(self._layer_all(self._lower(1), "group_vars", "all", "group_vars/all", 1))

    # -- inventories ---------------------------------------------------------------------

    def _load_inventory(self, line: int) -> Inventory | None:
        """The inventory files beside the playbook and in ``inventory/``, read once; None without any."""
        if self._inventory_read:
            return self._inventory
        self._inventory_read = True
        if self.ctx is None:
            return None
        files: list[Path] = []
        readable = ("", ".ini", ".yml", ".yaml", ".json")
        if self.folders:  # hosts, hosts.yml, inventory.ini ... beside the playbook
            files.extend(path for path, is_folder in self._list(self.folders[-1], line)
                         if not is_folder and path.name in INVENTORY_NAMES)
        if len(self.folders) > 1:  # every inventory file of the folder inventory/
            files.extend(path for path, is_folder in self._list(self.folders[0], line)
                         if not is_folder and not path.name.startswith(".") and not path.name.endswith("~")
                         and path.suffix in readable)
        if not files:
            return None
        inventory = Inventory()
        try:
            for path in files:
                self._read_inventory(inventory, path, line)
        except LimitExceeded as exc:
            self._error(line, f"{exc.message}; the inventory is not used")
            return None
        self._inventory = inventory if (inventory.groups or inventory.hosts) else None
        return self._inventory

    def _read_inventory(self, inventory: Inventory, path: Path, line: int) -> None:
        from portlint.inputs import ReadRefused
        from portlint.yamlpos import load_single

        shown = self.ctx.display_path(path)
        try:
            text = self.ctx.read_text(path)
        except ReadRefused as exc:
            self._error(line, f"{shown}: {exc}")
            return
        if text is None:
            return
        document = None
        if path.suffix != ".ini":
            loaded, problems = load_single(text)
            if isinstance(loaded, dict) and not problems:
                document = loaded
            elif path.suffix in (".yml", ".yaml", ".json"):
                for problem in problems[:1]:
                    self._error(line, f"{shown}:{problem.line}: {problem.message}")
                if not isinstance(loaded, dict):
                    return  # Ansible's INI reader does not take these endings' files either
                document = loaded
        for number, message in read_inventory(inventory, text, shown, document):
            self._error(line, f"{shown}:{number}: {message}")

    def _targets(self, hosts: Any, inventory: Inventory | None) -> list[tuple[str | None, list[str]]]:
        """(host, its groups in variable order) for the hosts a play runs on; a name the inventory does
        not know is taken as both a group and a host of that name (their vars files are read by name)."""
        from fnmatch import fnmatchcase

        words = host_patterns(hosts)
        self._named = set(words)
        targets: dict[tuple[str | None, tuple[str, ...]], None] = {}  # in order, each once

        def add(host: str | None, groups: list[str]) -> None:
            targets[(host, tuple(groups))] = None
        if inventory is None:
            for word in words:
                if word not in ("all", "*") and not any(c in word for c in "*?["):
                    add(word, ["all", word])
            return [(h, list(g)) for h, g in targets] or [(None, ["all"])]
        for word in words:
            if word in ("all", "*"):
                names = list(inventory.hosts)
            elif word in inventory.groups:
                names = inventory.hosts_of(word)
                if not names:
                    add(None, ["all", word])
            elif word in inventory.hosts:
                names = [word]
            elif any(c in word for c in "*?["):
                matched = dict.fromkeys(h for h in inventory.hosts if fnmatchcase(h, word))
                for group in inventory.groups:
                    if fnmatchcase(group, word):
                        matched.update(dict.fromkeys(inventory.hosts_of(group)))
                names = list(matched)
            else:
                add(word, ["all", word])
                continue
            for host in names:
                add(host, inventory.groups_of(host))
        return [(h, list(g)) for h, g in targets] or [(None, ["all"])]

    def play_scope(self, play: dict, span: Span, units: Units) -> Scope:
        line = span.line
        base = self._lower(line)
        inventory = self._load_inventory(line)
        used: set[str] = set()
        names_in(play, used)
        host_vars_named = {name for folder in self.folders for p, _ in self._list(folder / "host_vars", line)
                           for name in (p.name, p.stem)}
        profiles: dict[tuple, Scope] = {}
        for host, groups in self._targets(play.get("hosts"), inventory):
            own = host is not None and (host in host_vars_named or (inventory is not None and inventory.hosts.get(host)))
            key = (host if own else None, tuple(groups))
            if key not in profiles:
                profiles[key] = self._host_scope(host if own else None, groups, inventory, line)
        scope = alternatives(base, list(profiles.values()), used, MAX_CANDIDATES)
        scope = layer(scope, play.get("vars"), "play vars", self.file)
        scope = self._vars_files(play, scope)
        return self._upper(scope)

    def _host_scope(self, host: str | None, groups: list[str], inventory: Inventory | None, line: int) -> Scope:
        """The group and host variables of one host (lowest first): inventory group vars, group_vars
        files (inventory folder before the playbook's), inventory host vars, host_vars files."""
        scope: Scope = {}
        if inventory is not None:
            for group in groups:
                if group in inventory.groups:
                    scope.update({name: (Value(value, origin),)
                                  for name, (value, origin) in inventory.groups[group].vars.items()})
        for folder in self.folders:
            for group in groups:
                for document, shown in self._vars_of(folder, "group_vars", group, line):
                    scope = layer(scope, document, f"group_vars/{group}", shown)
        if host is not None:
            if inventory is not None:
                scope.update({name: (Value(value, origin),)
                              for name, (value, origin) in inventory.hosts.get(host, {}).items()})
            for folder in self.folders:  # unlisted names are probed for the hosts the play names itself
                for document, shown in self._vars_of(folder, "host_vars", host, line, host in self._named):
                    scope = layer(scope, document, f"host_vars/{host}", shown)
        return scope

    def _vars_files(self, play: dict, scope: Scope) -> Scope:
        """``vars_files`` of a play, relative to the playbook's folder; a list entry takes its first file
        that exists; a path still holding ``{{ }}`` after known variables are filled is not read."""
        entries = play.get("vars_files")
        if not isinstance(entries, list) or self.ctx is None or self.path is None:
            return scope
        spans = entries.spans if isinstance(entries, LocatedList) else []
        known = {name: values[0].value for name, values in scope.items()
                 if len(values) == 1 and isinstance(values[0].value, (str, int))}
        for index, entry in enumerate(entries[:MAX_CANDIDATES]):
            line = spans[index].line if index < len(spans) else 1
            for candidate in (entry if isinstance(entry, list) else [entry])[:MAX_CANDIDATES]:
                if not isinstance(candidate, str) or not candidate.strip():
                    continue
                rendered = render_known(candidate, known)
                if "{{" in rendered:
                    continue
                path = self.path.parent / rendered
                document = self._read(path, line)
                if document is not None:
                    scope = layer(scope, document, "vars_files", self.ctx.display_path(path))
                    break
        return scope
