"""The engine's shortcuts in running rules (issue 14) must change nothing the rules report.

- a rule's ``applies_to`` hands its ``check`` only the exposures it admits: a built-in rule that
  declares one must report nothing on any other exposure, and a rule without one sees them all;
- the service rules' hits come from one pass (``verdicts``) that must equal their ``check``
  asked exposure by exposure;
- ``evaluate`` must give exactly the findings of calling every rule on every exposure.
"""

from __future__ import annotations

import random

import pytest

from portlint.checks import Hit, Rule, RuleContext, builtin_rules
from portlint.checks import verdict as verdict_mod
from portlint.engine import evaluate
from portlint.model import Exposure, Finding, Location, PortRange, Severity
from portlint.reference import load_risk_list

PORTS = [0, 1, 21, 22, 23, 80, 123, 161, 443, 3306, 3389, 5432, 6052, 6379, 8080, 11211, 27017, 40000]
IMAGES = ["", "postgres:16", "redis:7", "ghcr.io/esphome/esphome:2024.6", "nginx:1.27", "example/unknown:1",
          "portainer/portainer-ce"]
TRAITS = ["published", "web-frontend", "host-network", "second-layer", "unresolved-port", "invalid-ports",
          "invalid-protocol", "expose-only", "ephemeral-host-port", "ports-ignored", "remote-module"]
SOURCES = ["0.0.0.0", "::", "0.0.0.0/0", "::/0", "10.0.0.0/8", "1.0.0.0/1", "128.0.0.0/1", "192.168.0.0/16",
           "203.0.113.7/32"]


def _exposure(rng: random.Random, i: int) -> Exposure:
    low = rng.choice(PORTS)
    span = rng.choice([0, 0, 0, 1, 64, 99, 100, 101, 500, 65535])
    high = min(65535, low + span)
    target = None
    if rng.random() < 0.3:
        port = rng.choice(PORTS)
        target = PortRange(port, port + (high - low)) if port + (high - low) <= 65535 else None
    return Exposure(
        kind=rng.choice(["compose", "terraform", "kubernetes", "firewall"]),
        location=Location(f"f{i % 5}.yaml", i % 40 + 1, 1), resource=f"r{i}",
        protocol=rng.choice(["tcp", "udp", "all", "icmp", "sctp", "-1"]), port_range=PortRange(low, high),
        sources=tuple(rng.sample(SOURCES, rng.randint(0, 3))),
        scope=rng.choice(["internet", "internet", "private", "local", "restricted-public", "unknown"]),
        direction=rng.choice(["ingress", "ingress", "egress"]), action=rng.choice(["allow", "allow", "deny"]),
        target_port_range=target, traits=frozenset(rng.sample(TRAITS, rng.randint(0, 3))),
        image=rng.choice(IMAGES), unresolved=(("var.port is unknown",) if rng.random() < 0.1 else ()))


def _exposures(seed: int, count: int) -> list[Exposure]:
    rng = random.Random(seed)
    return [_exposure(rng, i) for i in range(count)]


def _naive(exposures, rules, ctx, severity=None) -> list[Finding]:
    """What ``evaluate`` computes, the slow way: every rule's ``check`` on every exposure."""
    overrides = severity or {}
    ctx.options.setdefault("active_rules", frozenset(rule.code for rule in rules))
    ctx.options.setdefault("severity_overrides", {
        rule.code: overrides.get(rule.code) or overrides.get(rule.name)
        for rule in rules if overrides.get(rule.code) or overrides.get(rule.name)})
    findings = []
    for rule in rules:
        forced = overrides.get(rule.code) or overrides.get(rule.name)
        hits = [hit for e in exposures for hit in rule.check(e, ctx)]
        hits.extend(rule.finish(exposures, ctx))
        for hit in hits:
            level = Severity.parse(forced) if forced else (rule.severity if hit.severity is None else hit.severity)
            findings.append(Finding(rule.code, rule.name, level, hit.message, hit.exposure))
    findings.sort(key=lambda f: (f.location.file, f.location.line, f.location.column, f.rule_id))
    return findings


def test_rules_report_nothing_outside_what_they_apply_to():
    ctx = RuleContext(risks=load_risk_list())
    declared = [cls for cls in builtin_rules() if cls.applies_to is not None]
    assert {cls.code for cls in declared} >= set(verdict_mod.SERVICE_RULES) | {"PL102", "PL103"}
    outside = 0
    for e in _exposures(5, 3000):
        for cls in declared:
            if not cls.applies_to(e):
                outside += 1
                assert list(cls().check(e, ctx)) == [], (cls.code, e)
    assert outside > 1000


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("severity", [None, {"PL106": "critical", "unregistered-public-port": "high"}])
def test_evaluate_equals_every_rule_on_every_exposure(seed, severity):
    exposures = _exposures(seed, 1500)
    rules = [cls() for cls in builtin_rules()]
    fast = evaluate(exposures, rules, RuleContext(risks=load_risk_list()), severity)
    slow = _naive(exposures, [cls() for cls in builtin_rules()], RuleContext(risks=load_risk_list()), severity)
    assert fast == slow
    assert len({f.rule_id for f in fast}) >= 6  # the sample reaches many rules


def test_one_verdict_pass_equals_each_service_rule_asked_alone():
    ctx = RuleContext(risks=load_risk_list())
    exposures = _exposures(9, 2000)
    found = verdict_mod.verdicts(exposures, ctx)
    assert set(found) <= set(verdict_mod.SERVICE_RULES) and len(found) >= 3
    for code in verdict_mod.SERVICE_RULES:
        one_by_one = [hit for e in exposures for hit in verdict_mod.verdict_hits(code, e, ctx)]
        assert found.get(code, []) == one_by_one


class _Counting(Rule):
    code, name, severity = "X901", "counting", Severity.LOW

    def __init__(self):
        self.seen: list[Exposure] = []

    def check(self, e, ctx):
        self.seen.append(e)
        return (Hit(e, "seen"),) if e.scope == "internet" else ()


class _Admitting(_Counting):
    code, name = "X902", "admitting"
    applies_to = staticmethod(lambda e: e.action == "allow")


def test_rules_without_applies_to_see_every_exposure_and_others_only_theirs():
    exposures = _exposures(4, 300)
    plain, admitting = _Counting(), _Admitting()
    findings = evaluate(exposures, [plain, admitting], RuleContext(risks=load_risk_list()))
    assert plain.seen == exposures
    assert admitting.seen == [e for e in exposures if e.action == "allow"]
    assert len([f for f in findings if f.rule_id == "X902"]) == len(
        [e for e in exposures if e.action == "allow" and e.scope == "internet"])


def test_a_service_rule_subclass_with_its_own_check_is_asked_itself():
    from portlint.checks.internet import RiskyServicePublic

    class Louder(RiskyServicePublic):
        code, name = "X903", "louder"
        asked = 0

        def check(self, e, ctx):
            type(self).asked += 1
            return (Hit(e, "loud"),)

    class Renamed(RiskyServicePublic):  # keeps the shared check: judged by the verdict pass
        code, name = "PL101", "renamed"

    exposures = _exposures(6, 400)
    admitted = [e for e in exposures if verdict_mod.public_ingress(e)]
    findings = evaluate(exposures, [Louder(), Renamed()], RuleContext(risks=load_risk_list()))
    assert Louder.asked == len(admitted)
    assert len([f for f in findings if f.rule_id == "X903"]) == len(admitted)
    slow = _naive(exposures, [Renamed()], RuleContext(risks=load_risk_list(), options={
        "active_rules": frozenset({"X903", "PL101"})}))
    assert [f for f in findings if f.rule_id == "PL101"] == slow


def test_an_instance_check_is_called_even_on_a_rule_class_that_has_none():
    rule = Rule()
    rule.code, rule.name = "X904", "instance"
    rule.check = lambda e, ctx: (Hit(e, "mine"),)
    exposures = _exposures(8, 50)
    findings = evaluate(exposures, [rule], RuleContext(risks=load_risk_list()))
    assert len(findings) == 50
