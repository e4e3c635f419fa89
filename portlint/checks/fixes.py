"""How to fix an exposure, in the words of the format it was written in.

Every rule message ends the same way: what is exposed, why it matters, then
the fix. The fix depends on the format (a Compose bind address, a security
group's ``cidr_blocks``, a Service's ``loadBalancerSourceRanges``, a firewall
file's ``sources:``) and, for Terraform, on the resource type, so it lives here
once and rules ask for it by what went wrong:

- ``reach``: too many sources can reach the port (narrow them, reference a
  group, or deny first);
- ``ports``: too many ports are open (name the ports needed, then narrow);
- ``host-network``: the container shares the host's network stack;
- ``private``: a broad private range (name the hosts or groups instead);
- ``acl``: a stateless network ACL admits every port or a high range;
- ``unresolved``: a value is unknown before deployment.

``fix(e, problem)`` returns ``"; <advice>"`` to append to a message, or ``""``
when portlint has nothing format-specific to say. Rules never build these
sentences themselves.
"""

from __future__ import annotations

import re

from portlint.model import Exposure

#: a dot that separates address parts (not one inside ``["a.b"]``)
_PARTS = re.compile(r"\.(?![^\[]*\])")

#: Terraform resource types -> (narrower sources, a reference instead of addresses, a deny first)
_TERRAFORM_SOURCES: dict[str, tuple[str, str, str]] = {
    "aws_security_group": ("`cidr_blocks`/`ipv6_cidr_blocks` of the `ingress` block",
                           "`security_groups`", ""),
    "aws_default_security_group": ("`cidr_blocks`/`ipv6_cidr_blocks` of the `ingress` block",
                                   "`security_groups`", ""),
    "aws_security_group_rule": ("`cidr_blocks`/`ipv6_cidr_blocks`", "`source_security_group_id`", ""),
    "aws_vpc_security_group_ingress_rule": ("`cidr_ipv4`/`cidr_ipv6`", "`referenced_security_group_id`", ""),
    "aws_network_acl": ("`cidr_block`", "", "a `deny` entry with a lower `rule_no`"),
    "aws_default_network_acl": ("`cidr_block`", "", "a `deny` entry with a lower `rule_no`"),
    "aws_network_acl_rule": ("`cidr_block`", "", "a `deny` rule with a lower `rule_number`"),
    "aws_lightsail_instance_public_ports": ("`cidrs`", "", ""),
    "aws_ec2_managed_prefix_list": ("the list's `entry` CIDRs", "", ""),
    "aws_networkfirewall_rule_group": ("the rule's source", "", "a `DROP` rule before it"),
    "azurerm_network_security_group": ("`source_address_prefix(es)`", "`source_application_security_group_ids`",
                                       "a `Deny` rule with a lower `priority` number"),
    "azurerm_network_security_rule": ("`source_address_prefix(es)`", "`source_application_security_group_ids`",
                                      "a `Deny` rule with a lower `priority` number"),
    "azurerm_firewall_network_rule_collection": ("`source_addresses`", "`source_ip_groups`", ""),
    "azurerm_firewall_nat_rule_collection": ("`source_addresses`", "`source_ip_groups`", ""),
    "azurerm_firewall_policy_rule_collection_group": ("`source_addresses`", "`source_ip_groups`", ""),
    "google_compute_firewall": ("`source_ranges`", "`source_tags` or `source_service_accounts`",
                                "a `deny` rule with a lower `priority` number"),
    "google_compute_firewall_policy_rule": ("`match.src_ip_ranges`", "", "a `deny` rule with a lower `priority`"),
    "google_compute_network_firewall_policy_rule": ("`match.src_ip_ranges`", "`match.src_secure_tags`",
                                                    "a `deny` rule with a lower `priority`"),
    "google_compute_region_network_firewall_policy_rule": ("`match.src_ip_ranges`", "`match.src_secure_tags`",
                                                           "a `deny` rule with a lower `priority`"),
    "digitalocean_firewall": ("`source_addresses`", "`source_tags`", ""),
    "hcloud_firewall": ("`source_ips`", "", ""),
    "alicloud_security_group_rule": ("`cidr_ip`", "`source_security_group_id`", ""),
    "ibm_is_security_group_rule": ("`remote`", "a security group as `remote`", ""),
    "oci_core_security_list": ("`source`", "", ""),
    "oci_core_network_security_group_security_rule": ("`source`", "`source_type = \"NETWORK_SECURITY_GROUP\"`", ""),
    "openstack_networking_secgroup_rule_v2": ("`remote_ip_prefix`", "`remote_group_id`", ""),
    "openstack_compute_secgroup_v2": ("`cidr`", "`from_group_id`", ""),
}

#: internal load balancer annotations of the common clouds (portlint.parsers.kubernetes knows more)
_INTERNAL_LB = ("add an internal load balancer annotation for your cloud "
                "(`service.beta.kubernetes.io/aws-load-balancer-scheme: internal`, "
                "`networking.gke.io/load-balancer-type: Internal`, "
                "`service.beta.kubernetes.io/azure-load-balancer-internal: \"true\"`)")


_PLAN = "in the .tf that produced this plan, "


_INTERNAL_LB_HCL = ("add an internal load balancer annotation in `metadata` for your cloud "
                    "(`\"service.beta.kubernetes.io/aws-load-balancer-scheme\" = \"internal\"`, "
                    "`\"networking.gke.io/load-balancer-type\" = \"Internal\"`, "
                    "`\"service.beta.kubernetes.io/azure-load-balancer-internal\" = \"true\"`)")


def terraform_type(e: Exposure) -> str:
    """``aws_security_group_rule`` from ``module.x.aws_security_group_rule.ssh``; ``""`` if none."""
    parts = _PARTS.split(e.resource.split(" ", 1)[0])
    found, index = "", 0
    while index < len(parts) - 1:
        if parts[index] in ("module", "data"):
            index += 2  # a module name, or a data source's type and name: not the resource's type
            continue
        found = parts[index]
        index += 2
    return found


def is_plan(e: Exposure) -> bool:
    """Terraform plan or state JSON: the fix belongs in the .tf files that produced it."""
    return e.kind == "terraform" and e.location.file.endswith(".json")


def _either(*options: str) -> str:
    options = tuple(o for o in options if o)
    if len(options) <= 1:
        return "".join(options)
    return ", ".join(options[:-1]) + " or " + options[-1]


def _kubernetes(e: Exposure, problem: str, hcl: bool) -> str:
    t = e.traits
    if problem == "host-network" or "host-network" in t:
        return ("drop `host_network = true` and reach the pod through a Service" if hcl else
                "drop `hostNetwork: true` and reach the pod through a Service")
    if "host-port" in t:
        return ("drop `host_port` and reach the pod through a Service" if hcl else
                "drop `hostPort` and reach the pod through a `ClusterIP` Service")
    if "external-ip" in t:
        return ("remove the address from `external_ips`" if hcl else
                "remove the address from `spec.externalIPs` or make it a private one")
    if "node-port" in t:
        return ("use `type = \"ClusterIP\"` behind an Ingress, or firewall the nodes' addresses" if hcl else
                "use `type: ClusterIP` behind an Ingress, or firewall the nodes' addresses")
    if "load-balancer" in t and problem == "private":
        return ("narrow `load_balancer_source_ranges` to the hosts that need it" if hcl else
                "narrow `spec.loadBalancerSourceRanges` to the hosts that need it")
    if "load-balancer" in t:
        if hcl:
            return _either("set `load_balancer_source_ranges` to the addresses that need it",
                           _INTERNAL_LB_HCL,
                           "use `type = \"ClusterIP\"`")
        return _either("set `spec.loadBalancerSourceRanges` to the addresses that need it",
                       _INTERNAL_LB, "use `type: ClusterIP`")
    return ""


def _terraform(e: Exposure, problem: str) -> str:
    if e.traits & {"host-network", "host-port", "external-ip", "node-port", "load-balancer"}:
        return _kubernetes(e, problem, hcl=True)
    if "remote-module" in e.traits or ".ingress_rules[" in e.resource or ".rules[" in e.resource:
        return "narrow the source CIDRs in the module's arguments to the addresses that need it"
    kind = terraform_type(e)
    narrow, reference, deny = _TERRAFORM_SOURCES.get(kind, ("", "", ""))
    if problem == "unresolved":
        if e.unresolved and all(n.startswith("var.") for n in e.unresolved):
            return "give the variable a default or a value in a `.tfvars` file so the rule can be checked"
        return ""
    if problem == "shadowed":
        if kind.startswith(("azurerm_network_security", "google_compute")):
            return "delete it, or give it a lower `priority` number than the deny if the access is meant"
        if kind.startswith(("aws_network_acl", "aws_default_network_acl")):
            return "delete it, or give it a lower rule number than the deny if the access is meant"
        return "delete it"
    if problem == "acl":
        keyword = "`rule_number`" if kind == "aws_network_acl_rule" else "`rule_no`"
        return (f"narrow `from_port`/`to_port` to the ephemeral ports your instances use, or deny the "
                f"risky ports first with a lower {keyword}")
    if not narrow:
        return "narrow the rule's sources to the addresses that need it, or remove the rule"
    if problem == "private":
        return _either(f"narrow {narrow} to the hosts that need it", f"use {reference} instead" if reference else "")
    options = [f"narrow {narrow} to the addresses that need it",
               f"use {reference} instead" if reference else "", f"add {deny}" if deny else ""]
    if not reference or not deny:
        options.append("remove the rule")
    return _either(*options)


def _ansible(e: Exposure, problem: str) -> str:
    resource = e.resource
    if problem == "unresolved":
        return "define the variable where the play can see it so the task can be checked"
    if problem == "shadowed":
        if resource.startswith("azure_rm_securitygroup") or resource.startswith("gcp_compute_firewall"):
            return "delete it, or give it a lower `priority` number than the deny if the access is meant"
        if resource.startswith("ufw:"):
            return "delete the task, or run it before the deny (or use `insert:`) if the access is meant"
        return "delete it"
    if resource.startswith("ufw:"):
        if "default policy" in resource:
            return "set the default incoming policy to `deny` and allow the ports needed"
        return "limit the task with `from_ip` (alias `src`) to the addresses that need it, or remove it"
    if resource.startswith("firewalld:"):
        return ("open the port in a `rich_rule` that names `source address=\"<cidr>\"` instead, or in a zone "
                "bound to those sources")
    if resource.startswith("ec2_security_group"):
        return "narrow the rule's `cidr_ip`/`cidr_ipv6`, or allow a security group (`group_id`) instead"
    if resource.startswith("azure_rm_securitygroup"):
        return ("narrow the rule's `source_address_prefix`, or add a `Deny` rule with a lower "
                "`priority` number")
    if resource.startswith("gcp_compute_firewall"):
        return "narrow `source_ranges`, or use `source_tags` instead"
    return ""


def _firewall(e: Exposure, problem: str) -> str:
    if e.resource.endswith("/ default allow"):
        return "set `default: deny` and allow only the ports needed"
    if problem == "shadowed":
        return "delete it, or move it above the deny (or give it a lower `priority:`) if the access is meant"
    if problem == "private":
        return "narrow `sources:` to the hosts (or an `@group` of them) that need it"
    return "narrow `sources:` to the addresses (or an `@group`) that need it, or add a `deny` rule before it"


def _cloudformation(e: Exposure, problem: str) -> str:
    acl = e.policy.startswith("cfn-nacl:")
    if problem == "unresolved":
        return "give the parameter a `Default` or pass a value so the rule can be checked"
    if problem == "shadowed":
        return ("delete it, or give it a lower `RuleNumber` than the deny if the access is meant" if acl
                else "delete it")
    if problem == "acl" or acl:
        if problem == "acl":
            return ("narrow `PortRange` to the ephemeral ports your instances use, or deny the risky ports first "
                    "with a lower `RuleNumber`")
        return "narrow `CidrBlock`, or add a `deny` entry with a lower `RuleNumber`"
    if problem == "private":
        return "allow a security group (`SourceSecurityGroupId`) instead"
    return "narrow `CidrIp`/`CidrIpv6` to the addresses that need it, or allow a security group " \
           "(`SourceSecurityGroupId`) instead"


def _compose(e: Exposure, problem: str) -> str:
    if problem == "host-network" or "host-network" in e.traits:
        return "remove `network_mode: host` and publish only the ports needed, on 127.0.0.1"
    if problem == "unresolved":
        names = [n for n in e.unresolved[:1] if n.replace("_", "").isalnum()]
        address = names and not e.traits & {"unresolved-port", "unresolved-host-port"}
        example = f" (`${{{names[0]}:-127.0.0.1}}`)" if address else ""
        return f"give the variable a safe default{example} or set it in `.env`"
    if "published" not in e.traits or e.scope != "internet":
        return ""
    target = e.service_ports
    host = e.port_range if "ephemeral-host-port" not in e.traits else target
    proto = "" if e.protocol == "tcp" else f"/{e.protocol}"
    return f"bind it to loopback (\"127.0.0.1:{host}:{target}{proto}\") or put it behind a proxy"


def _ports_words(e: Exposure) -> str:
    """Where the format names the ports of a rule."""
    if e.kind == "terraform":
        kind = terraform_type(e)
        if kind == "aws_vpc_security_group_ingress_rule":
            return "`from_port`/`to_port` with `ip_protocol = \"tcp\"`"
        if kind.startswith("aws_"):
            return "`from_port`/`to_port` with `protocol = \"tcp\"`"
        if kind.startswith("azurerm_network_security"):
            return "`destination_port_range(s)` with `protocol = \"Tcp\"`"
        if kind == "google_compute_firewall":
            return "`ports` in the `allow` block"
        return "the rule's ports and protocol"
    return {
        "cloudformation": "`IpProtocol` with `FromPort`/`ToPort`",
        "firewall": "`protocol:` and `ports:`",
        "ansible": "the task's port and protocol",
        "kubernetes": "one port per entry",
    }.get(e.kind, "the rule's ports")


def advice(e: Exposure, problem: str = "reach") -> str:
    """The fix for ``e`` in its format's words, without leading punctuation; ``""`` if none."""
    if problem == "ports" and e.kind == "compose":
        return "publish only the ports in use, one entry each, on 127.0.0.1 unless they must be public"
    if problem == "ports":
        text = f"open only the ports in use ({_ports_words(e)})"
        narrow = advice(e, "reach") if e.kind != "compose" else ""
        if is_plan(e):
            narrow = narrow.replace(_PLAN, "")
        text = f"{text}, then {narrow}" if narrow else text
        return _PLAN + text if is_plan(e) else text
    if e.kind == "compose":
        return _compose(e, problem)
    if e.kind == "kubernetes":
        return _kubernetes(e, problem, hcl=False)
    if e.kind == "terraform":
        text = _terraform(e, problem)
        return _PLAN + text if text and is_plan(e) else text
    if e.kind == "cloudformation":
        return _cloudformation(e, problem)
    if e.kind == "firewall":
        return _firewall(e, problem)
    if e.kind == "ansible":
        return _ansible(e, problem)
    return ""


def fix(e: Exposure, problem: str = "reach") -> str:
    """``"; <advice>"`` to end a message with, or ``""``."""
    text = advice(e, problem)
    return f"; {text}" if text else ""
