"""Rules about exposure inside private networks."""

from __future__ import annotations

from typing import Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.checks.describe import ports_label, services_label
from portlint.checks.fixes import advice
from portlint.model import Exposure, Severity
from portlint.netscope import network_scope, parse_network
from portlint.protocols import PORTED

#: Private networks at least this wide (by prefix length) count as "very broad".
BROAD_PREFIX = {4: 12, 6: 32}


def broad_private_sources(sources: Iterable[str]) -> list[str]:
    found = []
    for source in sources:
        net = parse_network(source)
        if net is not None and network_scope(net) == "private" and net.prefixlen <= BROAD_PREFIX[net.version]:
            found.append(source)
    return found


class RiskyServiceBroadPrivate(Rule):
    """A risky service is open to a very broad private range.

    ## What it does
    Reports a risky service (any entry of the risk list) opened to a private
    range of `/12` or wider in IPv4 (`10.0.0.0/8`, `172.16.0.0/12`) or `/32` or
    wider in IPv6 ULA space, also when the same rule adds public addresses.
    Services on the risk list at medium or above count. The severity is low:
    such ranges are often deliberate (an internal load balancer for the whole
    VPC), so the finding stays visible without failing `--fail-on medium`;
    raise it with `severity: {PL201: medium}` in `.portlint.yaml`.

    ## Why is this bad?
    "Everything internal" includes every laptop, build agent and compromised
    container on the network. Attackers who land anywhere inside move sideways
    through exactly these ports.

    ## Example
    ```hcl
    # main.tf
    resource "aws_security_group_rule" "redis" {
      type              = "ingress"
      from_port         = 6379
      to_port           = 6379
      protocol          = "tcp"
      cidr_blocks       = ["10.0.0.0/8"]
      security_group_id = aws_security_group.cache.id
    }
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: cache
    spec:
      type: LoadBalancer
      loadBalancerSourceRanges:
        - 10.0.0.0/8
      selector:
        app: cache
      ports:
        - port: 6379
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: postgres
          action: allow
          ports: [5432]
          sources: [10.0.0.0/8]
    ```

    ## Use instead
    ```hcl
    # main.tf
    resource "aws_security_group_rule" "redis" {
      type                     = "ingress"
      from_port                = 6379
      to_port                  = 6379
      protocol                 = "tcp"
      source_security_group_id = aws_security_group.app.id
      security_group_id        = aws_security_group.cache.id
    }
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: cache
    spec:
      type: LoadBalancer
      loadBalancerSourceRanges:
        - 10.20.30.0/24
      selector:
        app: cache
      ports:
        - port: 6379
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: postgres
          action: allow
          ports: [5432]
          sources: [10.20.30.0/24]
    ```

    ## References
    - CIS Controls v8, 12.2 (establish and maintain a secure network architecture: segmentation).
    """

    code = "PL201"
    name = "risky-service-broad-private"
    severity = Severity.LOW
    summary = "A risky service is open to a very broad private range."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if e.scope not in ("private", "restricted-public") or e.action != "allow" or e.direction != "ingress":
            return ()
        if e.protocol not in PORTED or e.service_ports.size > 100 or "published" in e.traits:
            return ()
        broad = broad_private_sources(e.sources)
        if not broad:
            return ()
        from portlint.checks.verdict import identify

        entries = [r for r in identify(e, ctx).entries if r.severity >= Severity.MEDIUM]
        if not entries:
            return ()
        public = [s for s in e.sources if s not in broad and network_scope_of(s) in ("internet", "restricted-public")]
        mixed = f" and to the public addresses {', '.join(public[:3])}" if public else ""
        how = advice(e, "private") or "allow only the hosts or security groups that need it"
        return (Hit(e, f"{services_label(entries)} ({ports_label(e)}) is open to the broad private range "
                       f"{', '.join(broad)}{mixed}; {how}"),)


def network_scope_of(source: str) -> str:
    net = parse_network(source)
    return network_scope(net) if net is not None else "unknown"


RULES = [RiskyServiceBroadPrivate]
