"""Rules about rules themselves: unresolved values, impossible specifications, shadowing."""

from __future__ import annotations

from typing import Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.checks.describe import ports_label, services_label
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
    services:
      db:
        image: postgres:16
        ports:
          - "${DB_BIND}:5432:5432"
    ```

    ## Use instead
    ```yaml
    services:
      db:
        image: postgres:16
        ports:
          - "${DB_BIND:-127.0.0.1}:5432:5432"
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
            return
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
        yield Hit(e, f"{e.resource}: {names} cannot be resolved (unset, no default, or known only after "
                     f"apply), so portlint cannot tell {what}", severity)


class InvalidPortSpec(Rule):
    """A port or protocol specification that cannot work.

    ## What it does
    Reports a firewall rule whose ports or protocol are impossible: a
    `from_port` greater than `to_port`, a port above 65535, a port range that is
    not a number, or a protocol that is not an IP protocol. (Compose entries
    that Compose itself would reject are input errors, reported with exit
    code 2.)

    ## Why is this bad?
    The cloud rejects the rule at apply time, or, worse, reads it differently
    from what its author meant, and the intended restriction never exists.

    ## Example
    ```hcl
    resource "aws_security_group_rule" "backwards" {
      type              = "ingress"
      from_port         = 8443
      to_port           = 443
      protocol          = "tcp"
      cidr_blocks       = ["10.0.0.0/8"]
      security_group_id = aws_security_group.app.id
    }
    ```

    ## Use instead
    ```hcl
    resource "aws_security_group_rule" "forwards" {
      type              = "ingress"
      from_port         = 443
      to_port           = 8443
      protocol          = "tcp"
      cidr_blocks       = ["10.0.0.0/8"]
      security_group_id = aws_security_group.app.id
    }
    ```

    ## References
    - AWS EC2 API, IpPermission (FromPort, ToPort, IpProtocol).
    """

    code = "PL502"
    name = "invalid-port-spec"
    severity = Severity.MEDIUM
    summary = "A port or protocol specification that cannot work."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if e.traits & {"invalid-ports", "invalid-protocol"}:
            yield Hit(e, f"{e.resource}: {e.raw}")


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

    ## Use instead
    ```hcl
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
                                     "comes first and covers it")
        seen: dict[tuple, Exposure] = {}
        for e in exposures:
            if e.action != "allow" or e.kind == "compose":
                continue
            key = (e.location.file, e.resource, e.direction, e.protocol, e.port_range, tuple(sorted(e.sources)))
            first = seen.setdefault(key, e)
            if first is not e and first.location.line != e.location.line:
                yield Hit(e, f"{e.resource}: repeats the rule at line {first.location.line} exactly")


RULES = [UnresolvedExposure, InvalidPortSpec, ShadowedRule]
