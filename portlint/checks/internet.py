"""Rules about exposure to the internet, for every source format."""

from __future__ import annotations

from typing import Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.checks.describe import compose_fix, ports_label, reach_phrase, services_label
from portlint.model import Exposure, Severity
from portlint.protocols import PORTED

#: Ranges wider than this are judged by ``wide-port-range-public``, not service by service.
WIDE_RANGE = 100


def _public_ingress(e: Exposure) -> bool:
    """An allowed inbound exposure from the internet, on a protocol that has ports."""
    return (e.scope == "internet" and e.action == "allow" and e.direction == "ingress"
            and e.protocol in PORTED and "unresolved-port" not in e.traits)


def _is_all(e: Exposure) -> bool:
    return e.service_ports.is_all


class RiskyServicePublic(Rule):
    """A service on the risk list is reachable from the internet.

    ## What it does
    Reports an allow rule, port mapping or listener that makes a port on
    portlint's risk list (RDP, Telnet, SMB, databases, the Docker API ...)
    reachable from the internet. The severity is the risk entry's severity.
    A remapped port keeps the identity of the service behind it: Compose's
    `13389:3389` is RDP.

    ## Why is this bad?
    These services are scanned for continuously. Exposed databases are emptied
    and ransomed, remote-admin ports are brute-forced, and unauthenticated APIs
    (Docker, Redis) give control of the host.

    ## Example
    ```yaml
    services:
      cache:
        image: redis:7
        ports:
          - "6379:6379"
    ```

    ## Use instead
    ```yaml
    services:
      cache:
        image: redis:7
        ports:
          - "127.0.0.1:6379:6379"
    ```

    ## References
    - `portlint port PORT` shows each risk entry with its sources.
    - AWS Security Hub EC2.19; CIS AWS Foundations 5.2-5.4; CIS Azure 7.1-7.4.
    """

    code = "PL101"
    name = "risky-service-public"
    severity = Severity.HIGH
    summary = "A service on the risk list is reachable from the internet."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if not _public_ingress(e) or _is_all(e) or e.service_ports.size > WIDE_RANGE:
            return
        if "host-network" in e.traits and e.protocol == "all":
            return
        entries = ctx.risks.matching(e.protocol, e.service_ports)
        if not entries:
            return
        message = f"{services_label(entries)} ({ports_label(e)}) {reach_phrase(e)}{compose_fix(e)}"
        yield Hit(e, message, entries[0].severity)


class AllPortsPublic(Rule):
    """Every port, or every protocol, is open to the internet.

    ## What it does
    Reports an allow rule that opens all ports (`0-65535`, `protocol = "-1"`,
    `all`) to the internet.

    ## Why is this bad?
    Whatever listens on the machine, now or later, is exposed: databases,
    admin interfaces, debug ports. The rule no longer says what it is for.

    ## Example
    ```yaml
    services:
      sandbox:
        image: example/sandbox
        ports:
          - "1-65535:1-65535"
    ```

    ## Use instead
    ```yaml
    services:
      sandbox:
        image: example/sandbox
        ports:
          - "443:8443"
    ```

    ## References
    - AWS Security Hub EC2.19; CIS AWS Foundations 5.2.
    """

    code = "PL102"
    name = "all-ports-public"
    severity = Severity.CRITICAL
    summary = "All ports or all protocols are open to the internet."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if not _public_ingress(e) or not _is_all(e) or "host-network" in e.traits:
            return
        covered = ctx.risks.matching(e.protocol, e.service_ports)
        extra = f", including {len(covered)} services on the risk list" if covered else ""
        if e.protocol == "all":
            what = "Every port of every protocol"
        else:
            what = f"Every {e.protocol.upper()} port"
        yield Hit(e, f"{what} {reach_phrase(e)} ({e.resource}){extra}")


class WidePortRangePublic(Rule):
    """A wide port range is open to the internet.

    ## What it does
    Reports an allow rule or mapping that opens more than 100 ports at once to
    the internet, and names the risky services inside the range. The severity
    is that of the worst service covered, and at least medium.

    ## Why is this bad?
    Wide ranges are rarely intended: they usually stand for "make it work" and
    expose whatever happens to listen inside them.

    ## Example
    ```yaml
    services:
      media:
        image: example/media
        ports:
          - "1000-2000:1000-2000"
    ```

    ## Use instead
    ```yaml
    services:
      media:
        image: example/media
        ports:
          - "1935:1935"
    ```

    ## References
    - AWS Security Hub EC2.19 (ports with high risk inside open ranges).
    """

    code = "PL103"
    name = "wide-port-range-public"
    severity = Severity.MEDIUM
    summary = "More than 100 ports are open to the internet at once."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if not _public_ingress(e) or _is_all(e) or e.service_ports.size <= WIDE_RANGE:
            return
        if "ephemeral-host-port" in e.traits:
            return
        covered = ctx.risks.matching(e.protocol, e.service_ports)
        names = f", covering {services_label(covered)}" if covered else ""
        severity = max([self.severity, *(c.severity for c in covered)])
        yield Hit(e, f"Port range {ports_label(e)} ({e.service_ports.size} ports) {reach_phrase(e)}{names}",
                  severity)


RULES = [RiskyServicePublic, AllPortsPublic, WidePortRangePublic]
