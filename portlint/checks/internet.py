"""Rules about exposure to the internet, for every source format."""

from __future__ import annotations

from typing import Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.checks.describe import ports_label, reach_phrase, services_in_range
from portlint.checks.fixes import fix
from portlint.checks.verdict import public_ingress, verdict_check
from portlint.model import Exposure, Severity
from portlint.netscope import INTERNET_SHARE, is_internet_literal, public_share
from portlint.protocols import PORTED

#: Ranges wider than this are judged by ``wide-port-range-public``, not service by service.
WIDE_RANGE = 100
#: Traits that mean the ports or protocol of an exposure are not known to be real.
_UNCERTAIN = frozenset({"unresolved-port", "invalid-ports", "invalid-protocol"})
#: Traits that keep an exposure from the per-port internet rules (PL107 judges ``second-layer``).
_SETTLED = _UNCERTAIN | {"second-layer"}


# ``public_ingress`` (from portlint.checks.verdict, kept importable from here): an allowed inbound
# exposure from the internet, on a protocol that has ports (a network ACL's return-traffic allow
# is judged by PL107 instead)


#: Exposures whose sources are a bind address, not a list of networks (PL104 leaves them alone).
_WRITTEN_OUT = frozenset({"published", "host-network"})


def _is_all(e: Exposure) -> bool:
    return e.service_ports.is_all


class RiskEntryRule(Rule):
    """Shared logic of the rules that report risk-list entries (each entry names its rule)."""

    severity = Severity.HIGH
    applies_to = staticmethod(public_ingress)
    check = verdict_check


class RiskyServicePublic(RiskEntryRule):
    """A service on the risk list is reachable from the internet.

    ## What it does
    Reports an allow rule, port mapping or listener that makes a port on
    portlint's risk list (remote administration, databases, the Docker and
    Kubernetes APIs ...) reachable from the internet. The severity is the risk
    entry's severity. A remapped port keeps the identity of the service behind
    it: Compose's `13389:3389` is RDP. UDP reflectors and clear-text protocols
    have rules of their own (PL105, PL106).

    ## Why is this bad?
    These services are scanned for continuously. Exposed databases are emptied
    and ransomed, remote-admin ports are brute-forced, and unauthenticated APIs
    (Docker, Redis, the kubelet) give control of the host.

    ## Example
    ```yaml
    # compose.yaml
    services:
      cache:
        image: redis:7
        ports:
          - "6379:6379"
    ```

    ```hcl
    # main.tf
    resource "aws_security_group_rule" "redis" {
      type                     = "ingress"
      from_port                = 6379
      to_port                  = 6379
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
      name: cache
    spec:
      type: LoadBalancer
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
        - name: redis
          action: allow
          ports: [6379]
          sources: [any]
    ```

    ```yaml
    # template.yaml
    Resources:
      RedisIngress:
        Type: AWS::EC2::SecurityGroupIngress
        Properties:
          GroupId: !Ref CacheSecurityGroup
          IpProtocol: tcp
          FromPort: 6379
          ToPort: 6379
          CidrIp: 0.0.0.0/0
    ```

    ```yaml
    # playbook.yml
    - hosts: cache
      tasks:
        - name: Open Redis
          community.general.ufw:
            rule: allow
            port: "6379"
            proto: tcp
    ```

    ## Use instead
    ```yaml
    # compose.yaml
    services:
      cache:
        image: redis:7
        ports:
          - "127.0.0.1:6379:6379"
    ```

    ```hcl
    # main.tf
    resource "aws_security_group_rule" "redis" {
      type                     = "ingress"
      from_port                = 6379
      to_port                  = 6379
      protocol                 = "tcp"
      source_security_group_id = aws_security_group.web.id
      security_group_id        = aws_security_group.app.id
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
        - 203.0.113.0/24
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
        - name: redis
          action: allow
          ports: [6379]
          sources: [10.0.4.0/24]
    ```

    ```yaml
    # template.yaml
    Resources:
      RedisIngress:
        Type: AWS::EC2::SecurityGroupIngress
        Properties:
          GroupId: !Ref CacheSecurityGroup
          IpProtocol: tcp
          FromPort: 6379
          ToPort: 6379
          SourceSecurityGroupId: !Ref AppSecurityGroup
    ```

    ```yaml
    # playbook.yml
    - hosts: cache
      tasks:
        - name: Open Redis to the app servers
          community.general.ufw:
            rule: allow
            port: "6379"
            proto: tcp
            from_ip: 10.0.4.0/24
    ```

    ## References
    - `portlint port PORT` shows each risk entry with its reason and sources.
    - AWS Security Hub EC2.19; CIS AWS Foundations 5.2-5.4; CIS Azure 7.1-7.4; CIS GCP 3.6-3.7.
    """

    code = "PL101"
    name = "risky-service-public"
    summary = "A service on the risk list is reachable from the internet."


class AllPortsPublic(Rule):
    """Every port is open to the internet.

    ## What it does
    Reports an allow rule that opens every port (`0-65535`, `protocol = "-1"`,
    `all`, `*`) to the internet.

    ## Why is this bad?
    Whatever listens on the machine, now or later, is exposed: databases,
    admin interfaces, debug ports. The rule no longer says what it is for.

    ## Example
    ```hcl
    # main.tf
    resource "aws_security_group_rule" "debug" {
      type              = "ingress"
      from_port         = 0
      to_port           = 0
      protocol          = "-1"
      cidr_blocks       = ["0.0.0.0/0"]
      security_group_id = aws_security_group.app.id
    }
    ```

    ```yaml
    # compose.yaml
    services:
      sandbox:
        image: example/sandbox
        ports:
          - "1-65535:1-65535"
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: everything
          action: allow
          protocol: any
          sources: [any]
    ```

    ## Use instead
    ```hcl
    # main.tf
    resource "aws_security_group_rule" "https" {
      type              = "ingress"
      from_port         = 443
      to_port           = 443
      protocol          = "tcp"
      cidr_blocks       = ["0.0.0.0/0"]
      security_group_id = aws_security_group.app.id
    }
    ```

    ```yaml
    # compose.yaml
    services:
      sandbox:
        image: example/sandbox
        ports:
          - "127.0.0.1:8080:8080"
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: https
          action: allow
          protocol: tcp
          ports: [443]
          sources: [any]
    ```

    ## References
    - AWS Security Hub EC2.19; CIS AWS Foundations 5.2 (no unrestricted ingress).
    """

    code = "PL102"
    name = "all-ports-public"
    severity = Severity.CRITICAL
    summary = "Every port is open to the internet."
    applies_to = staticmethod(public_ingress)

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if not _is_all(e) or not public_ingress(e) or "host-network" in e.traits:
            return ()
        covered = ctx.risks.matching(e.protocol, e.service_ports)
        extra = f", including {len(covered)} services on the risk list" if covered else ""
        what = "Every port of every protocol" if e.protocol == "all" else f"Every {e.protocol.upper()} port"
        return (Hit(e, f"{what} {reach_phrase(e)} ({e.resource}){extra}{fix(e, 'ports')}"),)


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
    # compose.yaml
    services:
      media:
        image: example/media
        ports:
          - "1000-2000:1000-2000"
    ```

    ```hcl
    # main.tf
    resource "google_compute_firewall" "media" {
      name    = "media"
      network = "default"
      allow {
        protocol = "udp"
        ports    = ["10000-20000"]
      }
      source_ranges = ["0.0.0.0/0"]
    }
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: media
          action: allow
          protocol: udp
          ports: ["10000-20000"]
          sources: [any]
    ```

    ## Use instead
    ```yaml
    # compose.yaml
    services:
      media:
        image: example/media
        ports:
          - "1935:1935"
    ```

    ```hcl
    # main.tf
    resource "google_compute_firewall" "media" {
      name    = "media"
      network = "default"
      allow {
        protocol = "udp"
        ports    = ["10000-10049"]
      }
      source_ranges = ["0.0.0.0/0"]
    }
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: media
          action: allow
          protocol: udp
          ports: ["10000-10049"]
          sources: [any]
    ```

    ## References
    - AWS Security Hub EC2.19 (high-risk ports inside open ranges).
    """

    code = "PL103"
    name = "wide-port-range-public"
    severity = Severity.MEDIUM
    summary = "More than 100 ports are open to the internet at once."
    applies_to = staticmethod(public_ingress)

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if e.service_ports.size <= WIDE_RANGE or not public_ingress(e) or _is_all(e):
            return ()
        if "ephemeral-host-port" in e.traits:
            return ()
        covered = ctx.risks.matching(e.protocol, e.service_ports)
        names = f", covering {services_in_range(covered, e)}" if covered else ""
        severity = max([self.severity, *(c.severity for c in covered)])
        return (Hit(e, f"Port range {ports_label(e)} ({e.service_ports.size} ports) {reach_phrase(e)}{names}"
                       f"{fix(e, 'ports')}", severity),)


class InternetEquivalentSources(Rule):
    """Sources that add up to the internet without saying so.

    ## What it does
    Reports an allow rule whose sources are not `0.0.0.0/0` or `::/0` but
    together cover at least a sixteenth of the IPv4 space or of IPv6 global
    unicast space, for example `0.0.0.0/1` plus `128.0.0.0/1`, or `0.0.0.0/2`.
    The exposure itself is judged as public by the other rules; this rule
    points out that the rule is written so that reviewers and scanners that
    match `0.0.0.0/0` miss it.

    ## Why is this bad?
    Split or oversized ranges are either a mistake (a typo in the prefix
    length) or a way around a policy check. Either way the port is open to most
    of the internet.

    ## Example
    ```hcl
    # main.tf
    resource "aws_security_group_rule" "halves" {
      type              = "ingress"
      from_port         = 8443
      to_port           = 8443
      protocol          = "tcp"
      cidr_blocks       = ["0.0.0.0/1", "128.0.0.0/1"]
      security_group_id = aws_security_group.app.id
    }
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: partner-api
    spec:
      type: LoadBalancer
      loadBalancerSourceRanges:
        - 0.0.0.0/1
        - 128.0.0.0/1
      selector:
        app: partner-api
      ports:
        - port: 8443
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: partner
          action: allow
          ports: [8443]
          sources: [0.0.0.0/1, 128.0.0.0/1]
    ```

    ## Use instead
    ```hcl
    # main.tf
    resource "aws_security_group_rule" "partner" {
      type              = "ingress"
      from_port         = 8443
      to_port           = 8443
      protocol          = "tcp"
      cidr_blocks       = ["198.51.100.0/24"]
      security_group_id = aws_security_group.app.id
    }
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: partner-api
    spec:
      type: LoadBalancer
      loadBalancerSourceRanges:
        - 198.51.100.0/24
      selector:
        app: partner-api
      ports:
        - port: 8443
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: partner
          action: allow
          ports: [8443]
          sources: [198.51.100.0/24]
    ```

    ## References
    - RFC 4632 (CIDR notation); portlint's scope model in the README.
    """

    code = "PL104"
    name = "internet-equivalent-sources"
    severity = Severity.MEDIUM
    summary = "Sources cover the internet without saying 0.0.0.0/0."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if e.scope != "internet" or e.action != "allow" or e.direction != "ingress":
            return ()
        if not _WRITTEN_OUT.isdisjoint(e.traits) or any(is_internet_literal(s) for s in e.sources):
            return ()
        v4, v6 = public_share(e.sources, 4), public_share(e.sources, 6)
        if max(v4, v6) < INTERNET_SHARE:
            return ()  # the internet through a word such as AzureCloud: judged elsewhere
        share = f"{v4:.0%} of the IPv4 space" if v4 >= v6 else f"{v6:.0%} of IPv6 global unicast space"
        return (Hit(e, f"{e.resource}: sources {', '.join(e.sources[:4])} together cover {share}; "
                       f"this is the internet written another way{fix(e)}"),)


class UdpAmplificationPublic(RiskEntryRule):
    """A UDP service used for reflection and amplification is reachable from the internet.

    ## What it does
    Reports UDP services on the risk list that attackers use to reflect and
    amplify traffic (NTP, SNMP, SSDP, Memcached, DNS, CLDAP, WS-Discovery ...)
    when they are open to the internet. The severity is the risk entry's.

    ## Why is this bad?
    A spoofed request of a few bytes makes the server send a reply tens to
    thousands of times larger to the victim. Exposed reflectors get your
    addresses blocklisted and your bandwidth used for someone else's attack.

    ## Example
    ```yaml
    # compose.yaml
    services:
      ntp:
        image: example/chrony
        ports:
          - "123:123/udp"
    ```

    ```hcl
    # main.tf
    resource "aws_security_group_rule" "ntp" {
      type                     = "ingress"
      from_port                = 123
      to_port                  = 123
      protocol                 = "udp"
      cidr_blocks              = ["0.0.0.0/0"]
      security_group_id        = aws_security_group.app.id
    }
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: snmp
    spec:
      type: LoadBalancer
      selector:
        app: snmp
      ports:
        - port: 161
          protocol: UDP
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: snmp
          action: allow
          protocol: udp
          ports: [161]
          sources: [any]
    ```

    ## Use instead
    ```yaml
    # compose.yaml
    services:
      ntp:
        image: example/chrony
        ports:
          - "10.0.0.2:123:123/udp"
    ```

    ```hcl
    # main.tf
    resource "aws_security_group_rule" "ntp" {
      type                     = "ingress"
      from_port                = 123
      to_port                  = 123
      protocol                 = "udp"
      cidr_blocks              = ["10.0.0.0/16"]
      security_group_id        = aws_security_group.app.id
    }
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: snmp
    spec:
      type: LoadBalancer
      loadBalancerSourceRanges:
        - 198.51.100.10/32
      selector:
        app: snmp
      ports:
        - port: 161
          protocol: UDP
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      groups:
        monitoring: [198.51.100.10/32]
      rules:
        - name: snmp
          action: allow
          protocol: udp
          ports: [161]
          sources: ["@monitoring"]
    ```

    ## References
    - CISA alert TA14-017A, UDP-based amplification attacks.
    - CIS Microsoft Azure Foundations 7.3 (UDP services from the internet).
    """

    code = "PL105"
    name = "udp-amplification-public"
    summary = "A UDP reflection/amplification service is reachable from the internet."


class CleartextProtocolPublic(RiskEntryRule):
    """A clear-text protocol is reachable from the internet.

    ## What it does
    Reports protocols on the risk list that carry credentials or data without
    encryption (FTP, Telnet, plain LDAP, POP3/IMAP, MQTT, plain-HTTP admin
    ports such as 8080) when they are open to the internet. The severity is the
    risk entry's.

    ## Why is this bad?
    Anyone on the path can read the passwords and the data, and the services
    behind these ports are old and often poorly hardened.

    ## Example
    ```yaml
    # compose.yaml
    services:
      files:
        image: example/vsftpd
        ports:
          - "21:21"
    ```

    ```hcl
    # main.tf
    resource "aws_security_group_rule" "ftp" {
      type                     = "ingress"
      from_port                = 21
      to_port                  = 21
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
      name: files
    spec:
      type: LoadBalancer
      selector:
        app: files
      ports:
        - port: 21
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: ftp
          action: allow
          ports: [21]
          sources: [any]
    ```

    ## Use instead
    ```yaml
    # compose.yaml
    services:
      files:
        image: example/sftp
        ports:
          - "127.0.0.1:2222:22"
    ```

    ```hcl
    # main.tf
    resource "aws_security_group_rule" "sftp" {
      type                     = "ingress"
      from_port                = 22
      to_port                  = 22
      protocol                 = "tcp"
      cidr_blocks              = ["203.0.113.0/24"]
      security_group_id        = aws_security_group.app.id
    }
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: files
    spec:
      type: ClusterIP
      selector:
        app: files
      ports:
        - port: 21
    ```

    ```yaml
    # edge.firewall.yaml
    firewall:
      name: edge
      rules:
        - name: ftp
          action: allow
          ports: [21]
          sources: [203.0.113.0/24]
    ```

    ## References
    - AWS Trusted Advisor, security groups with specific ports unrestricted (20, 21).
    - CIS Microsoft Azure Foundations 7.3 (LDAP 389).
    """

    code = "PL106"
    name = "cleartext-protocol-public"
    summary = "A clear-text protocol is reachable from the internet."


class StatelessAclOpen(Rule):
    """A network ACL lets every port, or a high return-traffic range, in from the internet.

    ## What it does
    Reports an allow on a stateless network ACL (AWS `aws_network_acl`,
    `aws_network_acl_rule`, CloudFormation `AWS::EC2::NetworkAclEntry`) that
    opens every port or protocol, or a high ephemeral range such as
    `1024-65535` or `32768-65535`, to the internet. One finding per rule, at
    low, whatever an earlier deny took out of it; the message says what
    remains. Risky ports that the ACL names on their own (3389 from
    anywhere) are still reported by the risk rules at their own severity, and
    the same ranges on a security group stay PL102 and PL103.

    ## Why is this bad?
    An ACL has no memory of connections, so it must let replies in on the
    ephemeral ports, and an allow of everything is what AWS's default ACL
    does anyway: neither opens a service by itself. But the security groups
    behind it are then the only filter: one permissive group, and nothing
    else stands in the way. Narrow the range to the ephemeral ports your
    instances use, or deny the risky ports first.

    ## Example
    ```hcl
    # main.tf
    resource "aws_network_acl" "public" {
      vpc_id = "vpc-123"
      ingress {
        rule_no    = 100
        action     = "allow"
        protocol   = "-1"
        from_port  = 0
        to_port    = 0
        cidr_block = "0.0.0.0/0"
      }
    }
    ```

    ```yaml
    # template.yaml
    Resources:
      PublicIn:
        Type: AWS::EC2::NetworkAclEntry
        Properties:
          NetworkAclId: !Ref PublicAcl
          RuleNumber: 100
          Protocol: -1
          RuleAction: allow
          CidrBlock: 0.0.0.0/0
    ```

    ## Use instead
    ```hcl
    # main.tf
    resource "aws_network_acl" "public" {
      vpc_id = "vpc-123"
      ingress {
        rule_no    = 100
        action     = "allow"
        protocol   = "tcp"
        from_port  = 443
        to_port    = 443
        cidr_block = "0.0.0.0/0"
      }
      ingress {
        rule_no    = 200
        action     = "allow"
        protocol   = "tcp"
        from_port  = 32768
        to_port    = 60999
        cidr_block = "10.0.0.0/16"
      }
    }
    ```

    ```yaml
    # template.yaml
    Resources:
      PublicIn:
        Type: AWS::EC2::NetworkAclEntry
        Properties:
          NetworkAclId: !Ref PublicAcl
          RuleNumber: 100
          Protocol: 6
          PortRange:
            From: 443
            To: 443
          RuleAction: allow
          CidrBlock: 0.0.0.0/0
    ```

    ## References
    - AWS VPC documentation, network ACLs: stateless rules, ephemeral ports, the default network ACL.
    """

    code = "PL107"
    name = "stateless-acl-open"
    severity = Severity.LOW
    summary = "A network ACL lets every port, or a high return-traffic range, in from the internet."

    def finish(self, exposures: list[Exposure], ctx: RuleContext) -> Iterable[Hit]:
        groups: dict[tuple, list[Exposure]] = {}
        for e in exposures:
            if ("second-layer" in e.traits and e.scope == "internet" and e.action == "allow"
                    and e.direction == "ingress" and not e.traits & _UNCERTAIN):
                key = (e.location.file, e.location.line, e.location.column, e.resource, e.policy)
                groups.setdefault(key, []).append(e)
        for parts in groups.values():
            first = parts[0]
            yield Hit(first, f"{first.resource}: the network ACL lets {_remaining(parts)} in "
                             f"{reach_phrase(first).removeprefix('is reachable ')}; ACLs are stateless and "
                             "must admit return traffic, but the security groups are now the only filter, as behind "
                             f"AWS's default ACL{fix(first, 'acl')}")


def _remaining(parts: list[Exposure]) -> str:
    """``every port of every protocol``, or what a deny left: ``tcp 0-21, 23-65535, udp, sctp and other protocols``."""
    if len(parts) == 1 and parts[0].protocol == "all":
        return "every port of every protocol"
    by_protocol: dict[str, list[str]] = {}
    for e in parts:
        if e.protocol != "other":
            by_protocol.setdefault(e.protocol, []).append("" if e.port_range.is_all else str(e.port_range))
    texts = [f"every {protocol.upper()} port" if "" in ranges else f"{protocol.upper()} {', '.join(ranges)}"
             for protocol, ranges in by_protocol.items()]
    if any(e.protocol == "other" for e in parts):
        texts.append("every protocol without ports")
    return ", ".join(texts[:-1]) + (" and " if len(texts) > 1 else "") + texts[-1]


RULES = [RiskyServicePublic, AllPortsPublic, WidePortRangePublic, InternetEquivalentSources,
         UdpAmplificationPublic, CleartextProtocolPublic, StatelessAclOpen]
