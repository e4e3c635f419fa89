"""Score portlint against the peers' own test fixtures (KICS queries for port exposure).

    python3 benchmarks/peer_corpus.py ../shared/corpus              # per-query table
    python3 benchmarks/peer_corpus.py ../shared/corpus --markdown    # the table in docs/comparison.md
    python3 benchmarks/peer_corpus.py ../shared/corpus --json
    python3 benchmarks/peer_corpus.py ../shared/corpus --check docs/comparison.md   # exit 1 below the floor

Every fixture file is checked on its own, in a temporary folder (KICS keeps
positive and negative files of a query side by side, which Terraform would read
as one module). An expected (file, line) is **covered** when a portlint
finding, at any severity, on the query's ports, has a span (or an enclosing
resource span) that holds the line. A negative file is **quiet** when no
finding at medium or above is on the query's ports. Disagreements that are
deliberate are listed with their reason, per file (``DISAGREEMENTS``) or per query
(``POLICY_NOTES``). The newer
fixtures in ``kics-upstream/`` are scored as extra rows (only files 2.1.8 lacks).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from portlint.engine import Options, run  # noqa: E402
from portlint.model import PortRange, Severity  # noqa: E402

ANY = None  # every port
LOW_PORTS = [PortRange(1, 1023)]

#: Ports each query is about (None: any port). Sensitive-port queries use KICS's own list.
QUERY_PORTS: dict[str, object] = {
    "remote_desktop_port_open_to_internet": [PortRange(3389, 3389)],
    "rdp_is_exposed_to_the_internet": [PortRange(3389, 3389)],
    "rdp_access_is_not_restricted": [PortRange(3389, 3389)],
    "security_groups_unrestricted_access_to_rdp": [PortRange(3389, 3389)],
    "network_acl_with_unrestricted_access_to_rdp": [PortRange(3389, 3389)],
    "security_group_with_unrestricted_access_to_ssh": [PortRange(22, 22)],
    "security_groups_with_unrestricted_access_to_ssh": [PortRange(22, 22)],
    "ssh_is_exposed_to_the_internet": [PortRange(22, 22)],
    "ssh_access_is_not_restricted": [PortRange(22, 22)],
    "network_acl_with_unrestricted_access_to_ssh": [PortRange(22, 22)],
    "http_port_open": [PortRange(80, 80)],
    "sql_analysis_services_port_2383_is_publicly_accessible": [PortRange(2383, 2383)],
    "security_groups_with_exhibited_admin_ports": [PortRange(p, p) for p in
                                                   (20, 21, 22, 23, 115, 137, 138, 139, 2049, 3389)],
    "privileged_ports_mapped_in_container": LOW_PORTS,
    "sensitive": "sensitive",
}
#: The rules that speak to a query's subject, for judging its negatives (default: any rule).
_ALL_PORTS_RULES = {"PL102", "PL502"}
QUERY_RULES: dict[str, set[str]] = {
    "fully_open_ingress": _ALL_PORTS_RULES,
    "security_groups_with_meta_ip": _ALL_PORTS_RULES,
    "security_group_ingress_with_all_protocols": _ALL_PORTS_RULES,
    "google_compute_network_using_firewall_rule_allows_all_ports": _ALL_PORTS_RULES,
    "tcp_or_udp_protocol_network_acl_entry_allows_all_ports": _ALL_PORTS_RULES,
    "security_group_ingress_with_port_range": {"PL102", "PL103"},
    "google_compute_network_using_firewall_rule_allows_port_range": {"PL102", "PL103"},
    "unknown_port_exposed_to_internet": {"PL401"},
}
#: Related-tier queries portlint models, scored with the core ones.
IN_SCOPE_RELATED = {"shared_host_network_namespace"}

#: Deliberate disagreements: (query folder, file) or (query folder, file, line) -> reason.
DISAGREEMENTS: dict[tuple, str] = {
    ("http_port_open", "positive.tf"): "public HTTP on 80 is what a web server is for; portlint never reports it",
    ("http_port_open", "positive1.yaml"): "public HTTP on 80 is what a web server is for",
    ("http_port_open", "positive2.yaml"): "public HTTP on 80 is what a web server is for",
    ("http_port_open", "positive1.json"): "public HTTP on 80 is what a web server is for",
    ("http_port_open", "positive2.json"): "public HTTP on 80 is what a web server is for",
}
#: Reasons for whole kinds of disagreement, matched on the query folder.
POLICY_NOTES: dict[str, str] = {
    "sensitive_port_is_exposed_to_small_public_network":
        "KICS's own tier: a /25-/29 public range is a restricted source to portlint, not the internet",
    "sensitive_port_is_exposed_to_wide_private_network":
        "KICS's own tier: portlint reports only risky services open to /12 or wider private ranges (PL201); "
        "its noisy negatives open every port to 0.0.0.0/0 next to a private range, which is public",
    "privileged_ports_mapped_in_container": "about ports below 1024 inside the container, not about exposure",
    "unknown_port_exposed_to_internet": "portlint reports unregistered public ports at info (PL401)",
    "http_port_open": "public HTTP on 80 is what a web server is for; the noisy negative opens 79-100 to "
                      "0.1.0.0/0, which is every address",
    "remote_desktop_port_open_to_internet": "the negative opens 3380-3450 to 0.1.0.0/0: a /0 is every address",
    "sql_analysis_services_port_2383_is_publicly_accessible": "the negative opens 2383 to 0.1.0.0/0: a /0 is "
                                                              "every address",
    "unrestricted_security_group_ingress": "negatives use 0.0.2.0/0, 1.0.0.0/0 and 0.0.1.0/0, each the whole "
        "IPv4 space; the missed positives call the community module with CIDRs but no rules, which creates "
        "nothing (Terraform); CloudFormation positives open only port 80",
    "security_group_with_unrestricted_access_to_ssh": "the missed positives put ingress blocks inside a module "
                                                      "call, which Terraform rejects (unsupported block type)",
    "rdp_is_exposed_to_the_internet": "the noisy negative opens UDP 2000-5000 to *, which includes RDP over UDP",
    "sensitive_port_is_exposed_to_entire_network": "the noisy Azure negative uses the source 0.0.0.0, which "
        "portlint reads as 'any'; the misses are HTTPS 443 (expected to be public) and UDP on "
        "TCP-only services (Telnet, SQL Server Analysis): portlint's risk list knows each service's protocol",
    "google_compute_network_using_firewall_rule_allows_all_ports": "the only source is a network tag: only "
                                                                   "instances you tag can connect",
    "google_compute_network_using_firewall_rule_allows_port_range": "the only source is a network tag",
    "security_group_ingress_with_port_range": "KICS flags every range; portlint judges a range by what it "
                                              "opens (PL103 above 100 ports, risky services inside)",
    "security_group_ingress_with_all_protocols": "the missed positives allow all protocols from another "
                                                 "security group, which is private",
    "tcp_or_udp_protocol_network_acl_entry_allows_all_ports": "CloudFormation requires a PortRange with "
        "both From and To on a TCP or UDP entry, so the positives that leave one out cannot be deployed: "
        "portlint reports each as an input error at the entry (exit 2), not as an open range; private "
        "sources stay quiet",
    "fully_open_ingress": "the positives write a TCP rule with FromPort 80 or 22 and ToPort 0, which EC2 "
        "rejects (FromPort may not exceed ToPort): portlint reports each as an input error at the rule "
        "(exit 2) rather than guessing it means every port",
    "service_type_is_nodeport": "KICS flags every NodePort Service; who reaches the nodes is not in the "
                                "manifest, so portlint reports it as unresolved (PL501)",
    "service_with_external_load_balancer": "KICS flags every external load balancer; portlint reports the "
                                           "risky ports published through one (here only 80)",
    "workload_host_port_not_specified": "KICS policy about declaring hostPort; the ports here are 8080 on a "
                                        "private hostIP and 80",
    "container_traffic_not_bound_to_host_interface": "portlint reports services on all interfaces when they "
        "are risky (PL101, PL302), not every published port",
    "network_acl_with_unrestricted_access_to_rdp": "the missed positive configures the community VPC module "
                                                   "(default_network_acl_ingress), which portlint does not expand",
    "network_acl_with_unrestricted_access_to_ssh": "the missed positive configures the community VPC module",
    "ec2_sensitive_port_is_publicly_exposed": "the missed ports (80, 9000) are not on portlint's risk list; "
                                              "KICS's list counts 80 and 9000 as sensitive; a UDP rule from "
                                              "180 to 150 is rejected by EC2 and is an input error",
    "elb_sensitive_port_is_exposed_to_entire_network": "",
}


@dataclass
class QueryScore:
    tier: str
    platform: str
    folder: str
    expected: int = 0
    covered: int = 0
    negatives: int = 0
    quiet: int = 0
    misses: list[str] = field(default_factory=list)
    noisy: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def in_scope(self) -> bool:
        return self.tier == "core" or self.folder in IN_SCOPE_RELATED


def _sensitive_ports(corpus: Path) -> list[PortRange]:
    data = json.loads((corpus / "kics" / "sensitive_ports.json").read_text())
    return [PortRange(p["port"], p["port"]) for p in data["ports"]]


def _ports_for(folder: str, sensitive: list[PortRange]):
    if "sensitive_port" in folder:
        return sensitive
    return QUERY_PORTS.get(folder, ANY)


def _on_ports(finding, ports) -> bool:
    if ports is None:
        return True
    exposure = finding.exposure
    ranges = [exposure.port_range] + ([exposure.target_port_range] if exposure.target_port_range else [])
    return any(r.overlaps(p) for r in ranges for p in ports)


def _holds(finding, line: int) -> bool:
    loc, ctx = finding.location, finding.exposure.context
    return loc.line <= line <= loc.end_line or (ctx is not None and ctx.line <= line <= ctx.end_line)


class _Runner:
    """Checks each fixture file alone, once."""

    def __init__(self) -> None:
        self.cache: dict[Path, object] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="portlint-corpus-"))

    def report(self, path: Path):
        if path not in self.cache:
            folder = self.tmp / str(len(self.cache))
            folder.mkdir()
            shutil.copy(path, folder / path.name)
            self.cache[path] = run([folder], Options(environ={}, cwd=folder))
        return self.cache[path]

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _upstream_queries(corpus: Path, index: list[dict]) -> list[dict]:
    """Newer upstream fixtures (kics-upstream/), as extra queries holding only files 2.1.8 lacks."""
    tiers = {(q["platform_path"], q["query_folder"]): q["tier"] for q in index}
    extra = []
    root = corpus / "kics-upstream"
    for test_dir in sorted(root.glob("*/*/*/test")) if root.is_dir() else []:
        folder = test_dir.parent.name
        platform = test_dir.parent.parent.relative_to(root).as_posix()
        old = corpus / "kics" / platform / folder / "test"
        new_files = [p.name for p in test_dir.iterdir() if p.suffix == ".tf" and not (old / p.name).exists()]
        extra.append({
            "tier": tiers.get((platform, folder), "core"), "platform_path": platform,
            "query_folder": folder, "test_dir": test_dir, "upstream": True,
            "positive_files": sorted(f for f in new_files if f.startswith("positive")),
            "negative_files": sorted(f for f in new_files if f.startswith("negative")),
        })
    return extra


def score(corpus: Path) -> list[QueryScore]:
    index = json.loads((corpus / "kics" / "queries_index.json").read_text())
    index = index + _upstream_queries(corpus, index)
    sensitive = _sensitive_ports(corpus)
    runner = _Runner()
    scores = []
    try:
        for query in index:
            test_dir = query.get("test_dir") or corpus / "kics" / query["platform_path"] / query["query_folder"] / "test"
            platform = query["platform_path"] + (" (upstream)" if query.get("upstream") else "")
            result = QueryScore(query["tier"], platform, query["query_folder"])
            ports = _ports_for(query["query_folder"], sensitive)
            expected_file = test_dir / "positive_expected_result.json"
            positives = sorted(query["positive_files"])
            entries = json.loads(expected_file.read_text()) if expected_file.exists() else []
            seen: set[tuple[str, int]] = set()
            for entry in entries:
                name = entry.get("fileName") or entry.get("filename") or (positives[0] if len(positives) == 1 else None)
                if name not in positives:
                    continue  # an upstream expectation for a file scored with 2.1.8
                if name is None or not (test_dir / name).exists():
                    continue
                key = (name, entry["line"])
                if key in seen:
                    continue  # KICS repeats a line once per sensitive port
                seen.add(key)
                report = runner.report(test_dir / name)
                result.expected += 1
                if any(_holds(f, entry["line"]) and _on_ports(f, ports) for f in report.findings):
                    result.covered += 1
                else:
                    result.misses.append(f"{name}:{entry['line']}")
                result.errors.extend(f"{name}:{e.line}: {e.message}" for e in report.errors
                                     if f"{name}:{e.line}: {e.message}" not in result.errors)
            for name in sorted(query["negative_files"]):
                report = runner.report(test_dir / name)
                result.negatives += 1
                subject = QUERY_RULES.get(query["query_folder"])
                loud = [f for f in report.findings if f.severity >= Severity.MEDIUM and _on_ports(f, ports)
                        and (subject is None or f.rule_id in subject)]
                if loud:
                    result.noisy.append(f"{name}:{loud[0].location.line} {loud[0].rule_id}")
                else:
                    result.quiet += 1
                result.errors.extend(f"{name}:{e.line}: {e.message}" for e in report.errors)
            scores.append(result)
    finally:
        runner.close()
    return scores


def unexplained(scores: list[QueryScore]) -> list[str]:
    """In-scope misses and noisy negatives that no documented reason covers."""
    return [f"{s.platform}/{s.folder}: {item}" for s in scores if s.in_scope
            for item in s.misses + s.noisy if not reason(s, item)]


def totals(scores: list[QueryScore]) -> dict:
    scoped = [s for s in scores if s.in_scope]
    expected = sum(s.expected for s in scoped)
    negatives = sum(s.negatives for s in scoped)
    return {
        "unexplained": len(unexplained(scores)),
        "queries": len(scoped),
        "expected": expected, "covered": sum(s.covered for s in scoped),
        "negatives": negatives, "quiet": sum(s.quiet for s in scoped),
        "positive_agreement": round(sum(s.covered for s in scoped) / expected, 4) if expected else 1.0,
        "negative_agreement": round(sum(s.quiet for s in scoped) / negatives, 4) if negatives else 1.0,
    }


def reason(score_: QueryScore, item: str) -> str:
    name = item.split(":", 1)[0]
    line = item.split(":", 1)[1].split()[0] if ":" in item else ""
    for key in ((score_.folder, name, int(line)) if line.isdigit() else (), (score_.folder, name)):
        if key in DISAGREEMENTS:
            return DISAGREEMENTS[key]
    return POLICY_NOTES.get(score_.folder, "")


def markdown(scores: list[QueryScore]) -> str:
    t = totals(scores)
    lines = [
        f"In scope: {t['queries']} queries. Positives covered: **{t['covered']}/{t['expected']} "
        f"({t['positive_agreement']:.1%})**. Negatives quiet: **{t['quiet']}/{t['negatives']} "
        f"({t['negative_agreement']:.1%})**. Disagreements without a documented reason: "
        f"**{t['unexplained']}**.", "",
        "| tier | platform | query | covered | quiet | misses and noisy negatives |",
        "|---|---|---|---|---|---|",
    ]
    for s in sorted(scores, key=lambda s: (not s.in_scope, s.tier, s.platform, s.folder)):
        notes = [f"miss {m}" for m in s.misses[:4]] + [f"noisy {n}" for n in s.noisy[:3]]
        more = len(s.misses) - 4 if len(s.misses) > 4 else 0
        text = "; ".join(notes) + (f"; +{more} more misses" if more else "")
        why = POLICY_NOTES.get(s.folder) or next((reason(s, m) for m in s.misses + s.noisy if reason(s, m)), "")
        tier = s.tier if s.in_scope else f"{s.tier} (not scored)"
        lines.append(f"| {tier} | {s.platform} | {s.folder} | {s.covered}/{s.expected} | {s.quiet}/{s.negatives} | "
                     f"{text}{' - ' + why if why and text else ''} |")
    return "\n".join(lines) + "\n"


def check(scores: list[QueryScore], page: Path) -> int:
    floors = thresholds(page)
    if floors is None:
        print(f"no thresholds line in {page}", file=sys.stderr)
        return 2
    floor_pos, floor_neg, max_unexplained = floors
    t = totals(scores)
    ok = (t["positive_agreement"] >= floor_pos and t["negative_agreement"] >= floor_neg
          and t["unexplained"] <= max_unexplained)
    print(f"positives {t['positive_agreement']:.4f} (floor {floor_pos}), "
          f"negatives {t['negative_agreement']:.4f} (floor {floor_neg}), "
          f"unexplained {t['unexplained']} (at most {max_unexplained}): {'ok' if ok else 'BELOW THE FLOOR'}")
    for item in unexplained(scores):
        print(f"  unexplained: {item}")
    return 0 if ok else 1


BEGIN, END = "<!-- scorer:begin -->", "<!-- scorer:end -->"


def generated_section(page: Path) -> str:
    text = page.read_text()
    return text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip("\n") + "\n"


def thresholds(page: Path) -> tuple[float, float, int] | None:
    """The floors written in the comparison page, as an HTML comment."""
    match = re.search(r"<!-- thresholds: positives=([0-9.]+) negatives=([0-9.]+) unexplained=([0-9]+) -->",
                      page.read_text())
    return (float(match.group(1)), float(match.group(2)), int(match.group(3))) if match else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="the shared corpus folder (holding kics/)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true")
    group.add_argument("--markdown", action="store_true")
    group.add_argument("--check", type=Path, metavar="PAGE", help="fail when below the page's thresholds")
    group.add_argument("--update", type=Path, metavar="PAGE", help="rewrite the generated table in PAGE")
    args = parser.parse_args(argv)
    scores = score(args.corpus)
    if args.check:
        return check(scores, args.check)
    if args.update:
        text = args.update.read_text()
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
        args.update.write_text(text[:start] + "\n" + markdown(scores) + text[end:])
        return 0
    if args.json:
        print(json.dumps({"totals": totals(scores), "queries": [s.__dict__ | {"in_scope": s.in_scope}
                                                                 for s in scores]}, indent=2))
    else:
        print(markdown(scores))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
