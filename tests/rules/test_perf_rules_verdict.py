"""The rules' shortcuts (issue 14) must agree with the slow ways they replace.

- the service verdict of an exposure is worked out once (per exposure, and per protocol, ports
  and image for who runs there): what the rules report is what the full computation says;
- a file with few published entries compares every pair instead of building interval trees:
  both give the first collision of each entry, as the definition does.
"""

from __future__ import annotations

import itertools
import random

import pytest

from portlint.checks import RuleContext, compose_rules
from portlint.checks import verdict as verdict_mod
from portlint.model import Exposure, Location, PortRange, Severity
from portlint.reference import load_risk_list

PORTS = [21, 22, 23, 80, 123, 161, 443, 3306, 3389, 5432, 6052, 6379, 8080, 9200, 11211, 27017, 31337, 40000]
IMAGES = ["", "postgres:16", "redis:7", "ghcr.io/esphome/esphome:2024.6", "nginx:1.27", "example/unknown:1",
          "portainer/portainer-ce"]
TRAITS = [frozenset(), frozenset({"published"}), frozenset({"web-frontend"}), frozenset({"host-network"}),
          frozenset({"second-layer"}), frozenset({"unresolved-port"}), frozenset({"expose-only"}),
          frozenset({"ephemeral-host-port", "published"})]


def _exposure(rng: random.Random, i: int) -> Exposure:
    low = rng.choice(PORTS)
    high = low if rng.random() < 0.8 else min(65535, low + rng.choice([1, 10, 63, 64, 99, 100, 101, 500]))
    target = None
    if rng.random() < 0.3:
        port = rng.choice(PORTS)
        target = PortRange(port, port + (high - low)) if port + (high - low) <= 65535 else None
    return Exposure(
        kind=rng.choice(["compose", "terraform", "kubernetes", "firewall"]),
        location=Location(f"f{i % 7}.yaml", i + 1, i + 1), resource=f"r{i}",
        protocol=rng.choice(["tcp", "udp", "all", "icmp", "sctp"]), port_range=PortRange(low, high),
        sources=tuple(rng.sample(["0.0.0.0", "::", "0.0.0.0/0", "10.0.0.0/8"], rng.randint(1, 2))),
        scope=rng.choice(["internet", "internet", "private", "local", "restricted-public"]),
        direction=rng.choice(["ingress", "ingress", "egress"]), action=rng.choice(["allow", "allow", "deny"]),
        target_port_range=target, traits=rng.choice(TRAITS), image=rng.choice(IMAGES))


def _slow_candidates(e: Exposure, ctx: RuleContext) -> list:
    """Every service rule's candidate, asked of each rule with no shortcut and no memo."""
    identity = verdict_mod._identify(ctx.risks, e.protocol, e.service_ports, e.image, "web-frontend" in e.traits)
    found = [verdict_mod._risk_candidate("PL101", e, identity), verdict_mod._risk_candidate("PL105", e, identity),
             verdict_mod._risk_candidate("PL106", e, identity), verdict_mod._image_candidate(e, identity),
             verdict_mod._unregistered_candidate(e, identity, ctx)]
    return [c for c in found if c is not None]


def _exposures(seed: int, count: int) -> list[Exposure]:
    rng = random.Random(seed)
    return [_exposure(rng, i) for i in range(count)]


def test_remembered_identities_are_what_identify_computes():
    risks = load_risk_list()
    for e in _exposures(11, 600):
        remembered = verdict_mod.identify_with(e, risks)
        assert remembered == verdict_mod._identify(risks, e.protocol, e.service_ports, e.image,
                                                   "web-frontend" in e.traits)
    # web front ends and images are part of the key: the same port says different things
    plain = Exposure(kind="compose", location=Location("a", 1, 1), resource="a", protocol="tcp",
                     port_range=PortRange(6379, 6379), sources=("0.0.0.0",), scope="internet")
    front = Exposure(**{**{f: getattr(plain, f) for f in plain.__slots__}, "traits": frozenset({"web-frontend"})})
    assert verdict_mod.identify_with(plain, risks).entries
    assert not verdict_mod.identify_with(front, risks).entries


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_candidates_agree_with_every_rule_asked_alone(seed):
    ctx = RuleContext(risks=load_risk_list())
    exposures = _exposures(seed, 800)
    seen = 0
    for e in exposures:
        slow = _slow_candidates(e, ctx)
        assert verdict_mod.candidates(e, ctx) == slow
        seen += bool(slow)
    assert seen > 20  # the sample reaches the service rules


@pytest.mark.parametrize("active", [None, frozenset(verdict_mod.SERVICE_RULES), frozenset({"PL106", "PL401"})])
def test_each_rule_reports_exactly_the_head_of_the_chain(active):
    from portlint.checks import builtin_rules

    rules = [cls() for cls in builtin_rules() if cls.code in verdict_mod.SERVICE_RULES]
    options = {} if active is None else {"active_rules": active, "severity_overrides": {"PL106": "critical"}}
    ctx = RuleContext(risks=load_risk_list(), options=options)
    forced = options.get("severity_overrides", {})
    for e in _exposures(7, 800):
        found = [c for c in _slow_candidates(e, ctx) if active is None or c.code in active]
        best = max(found, default=None, key=lambda c: (
            Severity.parse(forced[c.code]) if c.code in forced else c.severity,
            -verdict_mod.SERVICE_RULES.index(c.code)))
        for rule in rules:
            hits = list(rule.check(e, ctx))
            if best is not None and best.code == rule.code:
                assert [(h.exposure, h.severity) for h in hits] == [(e, best.severity)]
                assert hits[0].message.startswith(best.message)
                assert hits[0].message.endswith(best.fix)
            else:
                assert hits == []


def test_chains_follow_the_rules_that_run():
    ctx = RuleContext(risks=load_risk_list())
    e = Exposure(kind="compose", location=Location("a", 1, 1), resource="db", protocol="tcp",
                 port_range=PortRange(5432, 5432), sources=("0.0.0.0", "::"), scope="internet",
                 traits=frozenset({"published"}), image="postgres:16")
    first = verdict_mod.chain(e, ctx)
    assert [c.code for c in first][:1] == ["PL101"]
    ctx.options["active_rules"] = frozenset({"PL302", "PL401"})
    assert verdict_mod.chain(e, ctx) == []  # postgres on its own port: only PL101 speaks
    assert verdict_mod.verdict("PL101", e, ctx) is None
    ctx.options["active_rules"] = frozenset(verdict_mod.SERVICE_RULES)
    assert verdict_mod.chain(e, ctx) == first
    # what a caller does with the list it is given does not change the next answer
    verdict_mod.chain(e, ctx).clear()
    assert verdict_mod.chain(e, ctx) == first


def _entry(i, line, protocol, low, high, sources):
    return Exposure(kind="compose", location=Location("f.yaml", line, line), resource=f"services.s{i}",
                    protocol=protocol, port_range=PortRange(low, high), sources=tuple(sources),
                    scope="internet", traits=frozenset({"published"}))


def _definition(entries):
    for index, later in enumerate(entries):
        for earlier in entries[:index]:
            if earlier.location != later.location and compose_rules._collide(earlier, later):
                yield later, earlier
                break


def _named(pairs):
    return [(a.resource, b.resource) for a, b in pairs]


@pytest.mark.parametrize("size", [1, 2, 5, compose_rules.FEW_ENTRIES, compose_rules.FEW_ENTRIES + 1, 60])
def test_pairwise_and_tree_collisions_agree(size):
    rng = random.Random(size)
    addresses = ["0.0.0.0", "::", "127.0.0.1", "10.0.0.1", "::1", "fe80::1"]
    for _ in range(150):
        entries, line = [], 1
        for i in range(size):
            line += rng.random() < 0.7  # some port entries give two exposures
            low = rng.randint(1, 30)
            high = low if rng.random() < 0.6 else low + rng.randint(0, 10)
            entries.append(_entry(i, line, rng.choice(["tcp", "udp"]), low, high,
                                  rng.sample(addresses, rng.randint(1, 2))))
        if rng.random() < 0.2:
            rng.shuffle(entries)  # the same port entry listed twice apart
        expected = _named(_definition(entries))
        assert _named(compose_rules._pairwise_collisions(entries)) == expected
        assert _named(compose_rules._tree_collisions(entries)) == expected
        assert _named(compose_rules._first_collisions(entries)) == expected


def test_many_entries_still_use_the_trees(monkeypatch):
    calls = []
    monkeypatch.setattr(compose_rules, "_pairwise_collisions", lambda entries: calls.append(1) or iter(()))
    entries = [_entry(i, i + 1, "tcp", 8000, 8000, ["0.0.0.0"]) for i in range(compose_rules.FEW_ENTRIES + 1)]
    assert len(list(compose_rules._first_collisions(entries))) == compose_rules.FEW_ENTRIES
    assert calls == []
    list(compose_rules._first_collisions(entries[:2]))
    assert calls == [1]
    assert list(itertools.islice(compose_rules._tree_collisions(entries[:2]), 3))


def test_remembered_identities_stay_bounded(monkeypatch):
    risks = load_risk_list()
    monkeypatch.setattr(verdict_mod, "_IDENTITIES_KEPT", 5)
    risks.identities.clear()
    for e in _exposures(5, 200):
        assert verdict_mod.identify_with(e, risks) == verdict_mod._identify(
            risks, e.protocol, e.service_ports, e.image, "web-frontend" in e.traits)
        assert len(risks.identities) <= 5


def test_registry_answers_by_port_the_same_each_time(monkeypatch):
    from portlint import registry

    table = registry.load_registry()
    monkeypatch.setattr(registry, "_REMEMBERED", 3)
    table._by_port.clear()
    first = {}
    for port, protocol in itertools.product([22, 80, 3389, 6052, 9200, 31337], [None, "tcp", "udp", "all"]):
        answer = table.by_port(port, protocol)
        first[port, protocol] = list(answer)
        answer.clear()  # what a caller does with its list changes nothing for the next caller
        assert len(table._by_port) <= 3
    for (port, protocol), answer in first.items():
        assert table.by_port(port, protocol) == answer
        table._by_port.clear()
        assert table.by_port(port, protocol) == answer
    assert [s.name for s in table.by_port(3389, "tcp")] == ["ms-wbt-server"]
