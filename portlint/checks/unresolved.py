"""Rules about rules themselves: unresolved values, impossible specifications, shadowing."""

from __future__ import annotations

from typing import Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.checks.describe import ports_label, services_label
from portlint.checks.fixes import fix
from portlint.model import Exposure, Severity


class UnresolvedExposure(Rule):
    """An exposure depends on a value portlint could not resolve.

    ## What it does
    Reports a port entry or rule whose address or port comes from a value that
    cannot be known before deployment: a Compose variable that is unset and has
    no default (`${BIND_IP}`), a Terraform variable without default or value, a
    data source or another resource's computed attribute. Severity is low,
    raised to medium when the known part of the entry is a high- or
    critical-risk service. When the known sources already include the
    internet, the exposure is judged as public instead.

    ## Why is this bad?
    What gets exposed then depends on the environment of the day. Compose, for
    one, substitutes an empty string, which binds every interface.

    ## Example
    ```yaml
    # compose.yaml
    services:
      db:
        image: postgres:16
        ports:
          - "${DB_BIND}:5432:5432"
    ```

    ```hcl
    # main.tf
    variable "admin_cidr" {
      type = string
    }

    resource "aws_security_group_rule" "ssh" {
      type              = "ingress"
      from_port         = 22
      to_port           = 22
      protocol          = "tcp"
      cidr_blocks       = [var.admin_cidr]
      security_group_id = aws_security_group.bastion.id
    }
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: web
    spec:
      type: NodePort
      selector:
        app: web
      ports:
        - port: 8080
          nodePort: 30080
    ```

    ## Use instead
    ```yaml
    # compose.yaml
    services:
      db:
        image: postgres:16
        ports:
          - "${DB_BIND:-127.0.0.1}:5432:5432"
    ```

    ```hcl
    # main.tf
    variable "admin_cidr" {
      type    = string
      default = "203.0.113.0/24"
    }

    resource "aws_security_group_rule" "ssh" {
      type              = "ingress"
      from_port         = 22
      to_port           = 22
      protocol          = "tcp"
      cidr_blocks       = [var.admin_cidr]
      security_group_id = aws_security_group.bastion.id
    }
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: web
    spec:
      type: ClusterIP
      selector:
        app: web
      ports:
        - port: 8080
    ```

    ## References
    - Compose specification, interpolation; Terraform documentation, input variables.
    """

    code = "PL501"
    name = "unresolved-exposure"
    severity = Severity.LOW
    summary = "An exposure depends on a value that cannot be resolved."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if not e.unresolved or e.action != "allow" or e.direction != "ingress":
            return ()
        return self._judge(e, ctx)

    def _judge(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        port_unknown = "unresolved-port" in e.traits
        if (e.scope != "unknown" and not port_unknown) or e.traits & {"invalid-ports", "invalid-protocol"}:
            return
        if "remote-module" in e.traits:
            looks = f"; its arguments {e.raw} look like firewall rules" if e.raw else ""
            yield Hit(e, f"{e.resource}: {e.unresolved[0]}{looks}. Run terraform init so portlint can read "
                         ".terraform/modules, or check the module's rules yourself")
            return
        if "unevaluated-resource" in e.traits:
            yield Hit(e, f"{e.resource}: {e.unresolved[0]}, so its rules are not checked")
            return
        names = ", ".join(f"${{{n}}}" if e.kind == "compose" else n for n in e.unresolved[:3])
        severity = None
        if port_unknown:
            what = "which port is exposed"
        else:
            entries = ctx.risks.matching(e.protocol, e.service_ports)
            label = f"{services_label(entries)} ({e.service_ports}/{e.protocol})" if entries \
                else f"{e.service_ports}/{e.protocol}"
            what = f"who can reach {label}"
            if entries and entries[0].severity >= Severity.HIGH:
                severity = Severity.MEDIUM
        if "node-port" in e.traits:  # the port is in the manifest; who reaches the nodes is not
            opened = (f"a node port the cluster assigns ({e.port_range}/{e.protocol})" if "node-port-range" in e.traits
                      else f"node port {e.port_range}/{e.protocol}")
            yield Hit(e, f"{e.resource}: {opened} is open on every node, and whether the nodes are reachable "
                         f"from outside is not in the manifest, so portlint cannot tell {what}"
                         f"{fix(e, 'unresolved')}", severity)
            return
        because = ("is a Helm value, known only when the chart is rendered" if "helm-template" in e.traits
                   else "cannot be resolved (unset, no default, or known only after apply)")
        yield Hit(e, f"{e.resource}: {names} {because}, so portlint cannot tell {what}{fix(e, 'unresolved')}",
                  severity)


class InvalidPortSpec(Rule):
    """Ports written on a rule that the provider ignores, so it opens more than it says.

    ## What it does
    Reports an AWS security group or network ACL rule whose protocol is `-1`
    (all protocols) but which names ports (`from_port = 22`, `to_port = 22`).
    AWS accepts such a rule and ignores the ports: every port of every
    protocol is allowed. Values the provider rejects outright (`from_port`
    greater than `to_port`, a port above 65535, a protocol that is not an IP
    protocol, a CIDR block that is not an address) are input errors at their
    line instead (exit code 2), in every format.

    ## Why is this bad?
    The author meant one port; the cloud opened all of them, and the code
    still reads as if only that port were open.

    ## Example
    ```hcl
    # main.tf
    resource "aws_network_acl_rule" "ssh" {
      network_acl_id = aws_network_acl.main.id
      rule_number    = 100
      protocol       = "-1"
      rule_action    = "allow"
      cidr_block     = "10.0.0.0/8"
      from_port      = 22
      to_port        = 22
    }
    ```

    ## Use instead
    ```hcl
    # main.tf
    resource "aws_network_acl_rule" "ssh" {
      network_acl_id = aws_network_acl.main.id
      rule_number    = 100
      protocol       = "tcp"
      rule_action    = "allow"
      cidr_block     = "10.0.0.0/8"
      from_port      = 22
      to_port        = 22
    }
    ```

    ## References
    - AWS EC2 API, IpPermission and CreateNetworkAclEntry: with protocol -1 the port range is not used.
    - Terraform AWS provider, aws_network_acl_rule and aws_security_group: ports with protocol -1.
    """

    code = "PL502"
    name = "invalid-port-spec"
    severity = Severity.MEDIUM
    summary = "Ports written on an all-protocol rule, which the provider ignores."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if "ports-ignored" not in e.traits or e.action != "allow":
            return ()
        return (Hit(e, f"{e.resource}: protocol -1 means every protocol, so the ports written here are "
                       "ignored and every port is allowed; name the protocol (tcp, udp) to open only those ports"),)


class ShadowedRule(Rule):
    """A rule never takes effect, or repeats another one.

    ## What it does
    Reports an allow rule that an earlier deny (by order or priority) covers
    completely, so it exposes nothing, and an allow that repeats an earlier
    allow of the same resource exactly (same direction, protocol, ports and
    sources).

    ## Why is this bad?
    Dead and duplicate rules mislead the next reader: someone "fixes" the deny
    above, or deletes one copy and believes the access is gone.

    ## Example
    ```hcl
    # main.tf
    resource "azurerm_network_security_group" "web" {
      name                = "nsg-web"
      location            = "westeurope"
      resource_group_name = "rg"

      security_rule {
        name                       = "deny-rdp"
        priority                   = 100
        direction                  = "Inbound"
        access                     = "Deny"
        protocol                   = "Tcp"
        source_port_range          = "*"
        destination_port_range     = "3389"
        source_address_prefix      = "*"
        destination_address_prefix = "*"
      }

      security_rule {
        name                       = "rdp-office"
        priority                   = 200
        direction                  = "Inbound"
        access                     = "Allow"
        protocol                   = "Tcp"
        source_port_range          = "*"
        destination_port_range     = "3389"
        source_address_prefix      = "203.0.113.0/24"
        destination_address_prefix = "*"
      }
    }
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: no-ssh
          action: deny
          ports: [22]
          sources: [any]
        - name: ssh-from-office
          action: allow
          ports: [22]
          sources: [203.0.113.0/24]
    ```

    ## Use instead
    ```hcl
    # main.tf
    resource "azurerm_network_security_group" "web" {
      name                = "nsg-web"
      location            = "westeurope"
      resource_group_name = "rg"

      security_rule {
        name                       = "rdp-office"
        priority                   = 100
        direction                  = "Inbound"
        access                     = "Allow"
        protocol                   = "Tcp"
        source_port_range          = "*"
        destination_port_range     = "3389"
        source_address_prefix      = "203.0.113.0/24"
        destination_address_prefix = "*"
      }

      security_rule {
        name                       = "deny-rdp"
        priority                   = 200
        direction                  = "Inbound"
        access                     = "Deny"
        protocol                   = "Tcp"
        source_port_range          = "*"
        destination_port_range     = "3389"
        source_address_prefix      = "*"
        destination_address_prefix = "*"
      }
    }
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: ssh-from-office
          action: allow
          ports: [22]
          sources: [203.0.113.0/24]
        - name: no-ssh
          action: deny
          ports: [22]
          sources: [any]
    ```

    ## References
    - Azure documentation, how network security groups filter traffic (priority order).
    """

    code = "PL503"
    name = "shadowed-rule"
    severity = Severity.LOW
    summary = "A rule never takes effect, or repeats another one."

    def finish(self, exposures: list[Exposure], ctx: RuleContext) -> Iterable[Hit]:
        for item in ctx.shadowed:
            by = item.by
            yield Hit(item.exposure, f"{item.exposure.resource}: the allow of {ports_label(item.exposure)} never "
                                     f"takes effect; the {by.action} at line {by.location.line} ({by.resource}) "
                                     f"comes first and covers it{fix(item.exposure, 'shadowed')}")
        seen: dict[tuple, Exposure] = {}
        for e in exposures:
            if e.action != "allow" or e.kind == "compose" or "node-port-range" in e.traits:
                # a Kubernetes node port left to the cluster is assigned, not written: no rule to repeat
                continue
            key = (e.location.file, e.resource, e.direction, e.protocol, e.port_range, tuple(sorted(e.sources)))
            first = seen.setdefault(key, e)
            if first is not e and first.location.line != e.location.line:
                yield Hit(e, f"{e.resource}: repeats the rule at line {first.location.line} exactly; delete one of them")


RULES = [UnresolvedExposure, InvalidPortSpec, ShadowedRule]
