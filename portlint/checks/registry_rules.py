"""Rules that judge exposures against the port registry."""

from __future__ import annotations

from typing import Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.checks.describe import ports_label, reach_phrase
from portlint.checks.verdict import public_ingress, verdict_check
from portlint.model import Exposure, Severity


class UnregisteredPublicPort(Rule):
    """A public port that no registry entry explains.

    ## What it does
    Reports, for information, a narrow port range (up to 64 ports) open to the
    internet on which neither the IANA registry nor portlint's list of de-facto
    services knows any service, and which is not on the risk list.

    ## Why is this bad?
    Nobody reading the rule can tell what it is for: a debug port, a leftover
    of a test, or a service that moved. Public ports should be explainable.

    ## Example
    ```yaml
    # compose.yaml
    services:
      app:
        image: example/app
        ports:
          - "40007:40007"
    ```

    ```hcl
    # main.tf
    resource "aws_security_group_rule" "agent" {
      type                     = "ingress"
      from_port                = 40007
      to_port                  = 40007
      protocol                 = "tcp"
      cidr_blocks              = ["0.0.0.0/0"]
      security_group_id        = aws_security_group.app.id
    }
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: agent
    spec:
      type: LoadBalancer
      selector:
        app: agent
      ports:
        - port: 40007
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: agent
          action: allow
          ports: [40007]
          sources: [any]
    ```

    ## Use instead
    ```yaml
    # compose.yaml
    services:
      app:
        image: example/app
        ports:
          - "443:8443"
    ```

    ```hcl
    # main.tf
    resource "aws_security_group_rule" "agent" {
      type                     = "ingress"
      from_port                = 40007
      to_port                  = 40007
      protocol                 = "tcp"
      cidr_blocks              = ["198.51.100.0/24"]
      security_group_id        = aws_security_group.app.id
    }
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: agent
    spec:
      type: ClusterIP
      selector:
        app: agent
      ports:
        - port: 40007
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: agent
          action: allow
          ports: [40007]
          sources: [198.51.100.0/24]
    ```

    ## References
    - IANA Service Name and Transport Protocol Port Number Registry.
    """

    code = "PL401"
    name = "unregistered-public-port"
    severity = Severity.INFO
    summary = "A public port that no registry entry explains."

    applies_to = staticmethod(public_ingress)
    check = verdict_check


RULES = [UnregisteredPublicPort]
