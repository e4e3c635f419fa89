"""``portlint diff``: real git histories, each classification, outputs, exit codes, confinement."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from portlint import limits
from portlint.cli import cli
from portlint.diff import compare, pair_elements
from portlint.model import Exposure, Location, PortRange
from tests.diff_helpers import COMPOSE, Repo, terraform_estate

SCHEMA = Path(__file__).resolve().parent.parent / "portlint" / "schemas" / "diff.schema.json"


def diff(repo_root: Path, *args, monkeypatch):
    monkeypatch.chdir(repo_root)
    env = {"GITHUB_ACTIONS": None, "NO_COLOR": None}
    return CliRunner().invoke(cli, ["diff", *map(str, args)], env=env, catch_exceptions=False)


def diff_json(repo_root: Path, *args, monkeypatch) -> tuple[int, dict]:
    result = diff(repo_root, *args, "--format", "json", monkeypatch=monkeypatch)
    document = json.loads(result.output)
    import jsonschema

    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    return result.exit_code, document


def statuses(document: dict) -> list[tuple[str, str, str]]:
    return [(c["status"], c["file"], c["resource"]) for c in document["changes"]]


@pytest.fixture
def compose_repo(tmp_path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.commit({"compose.yaml": COMPOSE, "README.md": "hello\n"}, "base")
    return repo


# --- each classification, on commits -------------------------------------------------------


def test_opened_service_fails_and_names_the_line(compose_repo, monkeypatch):
    compose_repo.commit({"compose.yaml": COMPOSE + "  cache:\n    image: redis\n    ports:\n      - \"6379:6379\"\n"})
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert code == 1
    assert statuses(doc) == [("opened", "compose.yaml", "services.cache")]
    change = doc["changes"][0]
    assert change["line"] == 13 and change["severity_after"] in ("high", "critical")
    assert change["before"] is None and change["after"]["port_range"] == [6379, 6379]
    assert doc["summary"]["unchanged"] == 2 and doc["summary"]["failing"] == 1
    assert "opens 1 exposure" in doc["headline"] and "compose.yaml:13" in doc["headline"]


def test_compose_rebinding_to_loopback_is_narrowed_and_exits_0(compose_repo, monkeypatch):
    compose_repo.commit({"compose.yaml": COMPOSE.replace('"5432:5432"', '"127.0.0.1:5432:5432"')})
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert code == 0
    assert statuses(doc) == [("narrowed", "compose.yaml", "services.db")]
    change = doc["changes"][0]
    assert change["severity_before"] is not None and change["severity_after"] is None
    assert "scope internet → local" in change["reasons"][0]
    assert doc["headline"] == "This change opens nothing; it narrows 1 exposure."


def test_deleted_file_is_closed(compose_repo, monkeypatch):
    compose_repo.git("rm", "-q", "compose.yaml")
    compose_repo.commit()
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert code == 0
    assert sorted(statuses(doc)) == [("closed", "compose.yaml", "services.db"),
                                     ("closed", "compose.yaml", "services.web")]


def test_renamed_file_is_unchanged(compose_repo, monkeypatch):
    (compose_repo.root / "deploy").mkdir()
    compose_repo.git("mv", "compose.yaml", "deploy/compose.yaml")
    compose_repo.commit()
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert (code, doc["changes"], doc["summary"]["unchanged"]) == (0, [], 2)
    assert doc["renamed"] == [{"from": "compose.yaml", "to": "deploy/compose.yaml"}]


def test_line_moves_and_reordering_report_nothing(compose_repo, monkeypatch):
    moved = ("# moved around\nservices:\n  db:\n    image: postgres\n\n\n    ports:\n      - \"5432:5432\"\n"
             "  web:\n    image: nginx\n    ports:\n      - \"443:443\"\n")
    compose_repo.commit({"compose.yaml": moved, "README.md": "unrelated edit\n"})
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert (code, doc["changes"], doc["summary"]["unchanged"]) == (0, [], 2)
    assert doc["headline"] == "This change does not change any port exposure."


def test_tfvars_change_widens_the_module_rule_of_one_root_only(tmp_path, monkeypatch):
    repo = Repo(tmp_path / "estate")
    repo.commit(terraform_estate(), "base")
    repo.commit(terraform_estate(cidr_staging="0.0.0.0/0"), "open staging")
    code, doc = diff_json(repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert code == 1
    assert statuses(doc) == [("widened", "modules/db/main.tf", "module.db.aws_security_group.db")]
    change = doc["changes"][0]
    assert change["before"]["sources"] == ["10.0.0.0/8"] and change["after"]["sources"] == ["0.0.0.0/0"]
    assert change["severity_before"] == "low" and change["severity_after"] in ("high", "critical")
    assert change["via"] == ["envs/staging/terraform.tfvars"]
    assert doc["summary"]["unchanged"] == 1  # prod's instance of the same rule
    assert "(was 10.0.0.0/8)" in doc["headline"] and "envs/staging/terraform.tfvars" in doc["headline"]


def test_narrowing_sources_within_a_scope_and_widening_ports(tmp_path, monkeypatch):
    repo = Repo(tmp_path / "estate")
    repo.commit(terraform_estate(), "base")
    narrowed = terraform_estate(cidr_prod="10.1.0.0/16")
    narrowed["modules/db/main.tf"] = narrowed["modules/db/main.tf"]
    repo.commit(narrowed, "narrow prod")
    code, doc = diff_json(repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert (code, [c["status"] for c in doc["changes"]]) == (0, ["narrowed"])


# --- the work tree and pre-commit ------------------------------------------------------------


def test_work_tree_is_head_by_default_and_is_never_touched(compose_repo, monkeypatch):
    (compose_repo.root / "compose.yaml").write_text(COMPOSE.replace('"443:443"', '"443:443"\n      - "23:23"'))
    (compose_repo.root / "new.yaml").write_text("services:\n  admin:\n    image: x\n    ports:\n      - \"3389:3389\"\n")
    status_before = compose_repo.git("status", "--porcelain")
    index = compose_repo.root / ".git" / "index"
    index_before = (index.stat().st_mtime_ns, index.read_bytes())
    code, doc = diff_json(compose_repo.root, "HEAD", monkeypatch=monkeypatch)
    assert code == 1
    assert sorted(statuses(doc)) == [("opened", "compose.yaml", "services.web"),
                                     ("opened", "new.yaml", "services.admin")]
    assert doc["head"]["label"] == "work tree" and doc["head"]["revision"] is None
    assert (index.stat().st_mtime_ns, index.read_bytes()) == index_before
    assert compose_repo.git("status", "--porcelain") == status_before


def test_pre_commit_style_staged_change(compose_repo, monkeypatch):
    compose_repo.write({"compose.yaml": COMPOSE.replace('"5432:5432"', '"0.0.0.0:5432:5432"\n      - "5433:5432"')})
    compose_repo.git("add", "compose.yaml")
    result = diff(compose_repo.root, "HEAD", monkeypatch=monkeypatch)
    assert result.exit_code == 1, result.output
    assert "opened (1)" in result.output and "services.db" in result.output


# --- outputs -------------------------------------------------------------------------------


def test_markdown_headline_rows_and_cap(compose_repo, monkeypatch):
    extra = "".join(f"  s{i}:\n    image: redis\n    ports:\n      - \"{6000 + i}:6379\"\n" for i in range(4))
    compose_repo.commit({"compose.yaml": COMPOSE.replace('"5432:5432"', '"127.0.0.1:5432:5432"') + extra})
    result = diff(compose_repo.root, "main~1", "main", "-f", "markdown", "--max-rows", "2", monkeypatch=monkeypatch)
    text = result.output
    assert result.exit_code == 1
    assert text.startswith("## portlint diff\n\n**This change opens 4 exposures, 4 critical: "
                           "Redis 6000/tcp (container 6379) from 0.0.0.0, :: at compose.yaml:13.**")
    table = [line for line in text.split("<details>")[0].splitlines() if line.startswith("| **")]
    assert len(table) == 2
    assert "<summary>2 more opened or widened</summary>" in text
    assert "<summary>1 narrowed</summary>" in text


def test_sarif_has_only_opened_and_widened_under_its_own_category(compose_repo, monkeypatch):
    compose_repo.commit({"compose.yaml": COMPOSE.replace('"5432:5432"', '"127.0.0.1:5432:5432"')
                         + "  rdp:\n    image: x\n    ports:\n      - \"3389:3389\"\n"})
    result = diff(compose_repo.root, "main~1", "main", "-f", "sarif", monkeypatch=monkeypatch)
    run = json.loads(result.output)["runs"][0]
    assert run["automationDetails"] == {"id": "portlint-diff/"}
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]] \
        == ["compose.yaml"]
    assert [r["properties"]["diffStatus"] for r in run["results"]] == ["opened"]
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 13


def test_github_annotations_escape_names(compose_repo, monkeypatch):
    compose_repo.commit({"compose.yaml": COMPOSE + "  \"evil\\n::error::x\":\n    image: x\n    ports:\n"
                                                   "      - \"3389:3389\"\n"})
    result = diff(compose_repo.root, "main~1", "main", "-f", "github", monkeypatch=monkeypatch)
    lines = result.output.splitlines()
    assert not any(line.startswith("::error::") for line in lines)
    assert lines[0].startswith("::error file=compose.yaml,line=13,")


def test_text_output_groups_opened_first(compose_repo, monkeypatch):
    compose_repo.commit({"compose.yaml": COMPOSE.replace('"5432:5432"', '"127.0.0.1:5432:5432"')
                         + "  rdp:\n    image: x\n    ports:\n      - \"3389:3389\"\n"})
    result = diff(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    out = result.output
    assert out.index("opened (1)") < out.index("narrowed (1)")
    assert "sources 0.0.0.0, :: → 127.0.0.1 (scope internet → local)" in out
    assert out.rstrip().endswith("1 opened, 0 widened, 1 narrowed, 0 closed, 1 unchanged.")


def test_newly_suppressed_is_shown(compose_repo, monkeypatch):
    compose_repo.commit({"compose.yaml": COMPOSE.replace('"5432:5432"',
                                                         '"5432:5432"  # portlint: disable -- staging only')})
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert code == 0 and doc["changes"] == []
    assert [c["resource"] for c in doc["newly_suppressed"]] == ["services.db"]


def test_configuration_change_is_listed(compose_repo, monkeypatch):
    compose_repo.commit({".portlint.yaml": "ignore: [PL101]\n"})
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert doc["config_changes"] == [".portlint.yaml"]


# --- two folders ---------------------------------------------------------------------------


def test_two_folders(tmp_path, monkeypatch):
    for side, port in (("old", '"127.0.0.1:6379:6379"'), ("new", '"6379:6379"')):
        (tmp_path / side).mkdir()
        (tmp_path / side / "compose.yaml").write_text(f"services:\n  cache:\n    image: redis\n    ports:\n"
                                                       f"      - {port}\n")
    code, doc = diff_json(tmp_path, "old", "new", monkeypatch=monkeypatch)
    assert code == 1 and statuses(doc) == [("widened", "compose.yaml", "services.cache")]


# --- errors and hostile trees --------------------------------------------------------------


def test_bad_revision_and_not_a_repository_exit_2(compose_repo, tmp_path, monkeypatch):
    result = diff(compose_repo.root, "no-such-branch", monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "'no-such-branch' is not a commit" in result.output
    result = diff(compose_repo.root, "--upload-pack=touch /tmp/x", monkeypatch=monkeypatch)
    assert result.exit_code == 2
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert diff(outside, "HEAD", monkeypatch=monkeypatch).exit_code == 2


def test_input_error_in_head_exits_2_but_in_base_only_reports(compose_repo, monkeypatch):
    compose_repo.commit({"broken.yaml": "services:\n  x:\n    ports: [\n"})
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert code == 2 and [e["file"] for e in doc["head"]["errors"]] == ["broken.yaml"]
    assert doc["head"]["errors"][0]["line"] > 1
    code, doc = diff_json(compose_repo.root, "main", "main~1", monkeypatch=monkeypatch)
    assert code == 0 and [e["file"] for e in doc["base"]["errors"]] == ["broken.yaml"]


def test_symlink_out_of_the_tree_is_not_followed(compose_repo, tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "compose.yaml").write_text("services:\n  leak:\n    image: x\n    ports:\n      - \"2222:22\"\n")
    os.symlink(secret / "compose.yaml", compose_repo.root / "linked.yaml")
    os.symlink("compose.yaml", compose_repo.root / "inside.yaml")
    compose_repo.commit()
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert "services.leak" not in json.dumps(doc["changes"])
    assert [(e["file"], "leaves the repository" in e["message"]) for e in doc["head"]["errors"]] \
        == [("linked.yaml", True)]
    # the link inside the tree is checked like the file it names
    assert sorted(statuses(doc)) == [("opened", "inside.yaml", "services.db"),
                                     ("opened", "inside.yaml", "services.web")]
    assert code == 2


def test_oversize_blob_and_tree_budget(compose_repo, monkeypatch):
    compose_repo.commit({"big.yaml": "services:\n" + "#" * 5000 + "\n"})
    monkeypatch.setattr(limits, "FILE_BYTES", 4000)
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert code == 2 and any(e["file"] == "big.yaml" and "PORTLINT_MAX_FILE_BYTES" in e["message"]
                             for e in doc["head"]["errors"])
    monkeypatch.setattr(limits, "FILE_BYTES", 10_000_000)
    monkeypatch.setattr(limits, "DIFF_TREE_BYTES", 1000)
    result = diff(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "PORTLINT_MAX_DIFF_TREE_BYTES" in result.output


def test_export_ignore_cannot_hide_a_file(compose_repo, monkeypatch):
    compose_repo.commit({".gitattributes": "*.yaml export-ignore\n",
                         "rdp.yaml": "services:\n  rdp:\n    image: x\n    ports:\n      - \"3389:3389\"\n"})
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert code == 1 and statuses(doc) == [("opened", "rdp.yaml", "services.rdp")]


# --- matching and comparison, without git ----------------------------------------------------


def _exposure(line=1, protocol="tcp", ports=(22, 22), sources=("10.0.0.0/8",), scope="private") -> Exposure:
    return Exposure("terraform", Location("main.tf", line, line), "aws_security_group.x", protocol,
                    PortRange(*ports), sources, scope)


@pytest.mark.parametrize("after, status", [
    (dict(sources=("0.0.0.0/0",), scope="internet"), "widened"),
    (dict(sources=("10.1.0.0/16",)), "narrowed"),
    (dict(sources=("192.168.0.0/16",)), "widened"),
    (dict(ports=(22, 23)), "widened"),
    (dict(protocol="udp"), "widened"),
    (dict(line=40), "unchanged"),
])
def test_compare(after, status):
    assert compare(_exposure(), _exposure(**after))[0] == status


def test_compare_all_protocols_to_one_is_narrowed():
    assert compare(_exposure(protocol="all", ports=(0, 65535)), _exposure())[0] == "narrowed"


def test_pairing_prefers_the_same_element_over_file_order():
    before = [_exposure(line=1, ports=(22, 22)), _exposure(line=2, ports=(443, 443))]
    after = [_exposure(line=1, ports=(443, 443)), _exposure(line=5, ports=(22, 22), sources=("0.0.0.0/0",),
                                                            scope="internet")]
    pairs = pair_elements(before, after)
    assert [(b.port_range.start, a.port_range.start) for b, a in pairs] == [(443, 443), (22, 22)]
