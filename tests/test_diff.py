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
    assert "opened or widened (1)" in result.output and "services.db" in result.output


# --- outputs -------------------------------------------------------------------------------


def test_markdown_headline_rows_and_cap(compose_repo, monkeypatch):
    extra = "".join(f"  s{i}:\n    image: redis\n    ports:\n      - \"{6000 + i}:6379\"\n" for i in range(4))
    compose_repo.commit({"compose.yaml": COMPOSE.replace('"5432:5432"', '"127.0.0.1:5432:5432"') + extra})
    result = diff(compose_repo.root, "main~1", "main", "-f", "markdown", "--max-rows", "2", monkeypatch=monkeypatch)
    text = result.output
    assert result.exit_code == 1
    assert text.startswith("## portlint diff\n\n**This change opens 4 exposures (4 critical): "
                           "Redis 6000/tcp (container 6379) from 0.0.0.0, :: at compose.yaml:13 (opened, critical); ")
    assert "; and 1 more.**" in text
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
    assert out.index("opened or widened (1)") < out.index("narrowed or closed (1)")
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


# --- review fixes (issue 15 follow-up) -------------------------------------------------------

MONGO = "  mongo:\n    image: mongo\n    ports:\n      - \"27017:27017\"\n"


def test_a_change_cannot_switch_off_the_gate_with_its_own_configuration(compose_repo, monkeypatch):
    compose_repo.commit({".portlint.yaml": "ignore: [PL101]\n", "compose.yaml": COMPOSE + MONGO})
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert code == 1 and statuses(doc) == [("opened", "compose.yaml", "services.mongo")]
    assert doc["changes"][0]["findings_after"][0]["rule_id"] == "PL101"
    assert doc["config"] == {"source": "none", "file": None}
    assert doc["config_changes"] == [".portlint.yaml"] and "Configuration changed" in doc["notices"][0]
    markdown = diff(compose_repo.root, "main~1", "main", "-f", "markdown", monkeypatch=monkeypatch).output
    first_lines = markdown.split("<details>")[0]
    assert "> **Warning:** Configuration changed: `.portlint.yaml`" in first_lines \
        or "> **Warning:** Configuration changed: .portlint.yaml" in first_lines
    # the work tree (pre-commit) is judged with BASE's configuration too
    code, doc = diff_json(compose_repo.root, "main~1", monkeypatch=monkeypatch)
    assert code == 1


def test_base_configuration_is_read_from_the_base_tree_and_config_overrides(compose_repo, monkeypatch):
    compose_repo.commit({".portlint.yaml": "fail-on: critical\n"}, "configure")
    compose_repo.commit({".portlint.yaml": "fail-on: info\nignore: [PL101]\n", "compose.yaml": COMPOSE + MONGO})
    code, doc = diff_json(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert doc["config"] == {"source": "base", "file": "main~1:.portlint.yaml"}
    assert code == 1 and doc["summary"]["fail_on"] == "critical"  # MongoDB public is critical
    ci = compose_repo.root.parent / "ci.yaml"
    ci.write_text("ignore: [PL101]\n")
    code, doc = diff_json(compose_repo.root, "main~1", "main", "--config", ci, monkeypatch=monkeypatch)
    assert code == 0 and doc["config"]["source"] == "option"


def test_newly_silenced_findings_are_in_the_headline_block(compose_repo, monkeypatch):
    compose_repo.commit({"compose.yaml": COMPOSE.replace('"5432:5432"', '"5432:5432"  # portlint: disable -- x')})
    out = diff(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch).output
    assert out.splitlines()[2].startswith("warning: Newly silenced by inline comments: 1 finding (PL101")
    markdown = diff(compose_repo.root, "main~1", "main", "-f", "markdown", monkeypatch=monkeypatch).output
    assert "> **Warning:** Newly silenced by inline comments" in markdown.split("<details>")[0]


def test_one_module_from_two_roots_names_each_root(tmp_path, monkeypatch):
    repo = Repo(tmp_path / "estate")
    repo.commit(terraform_estate(), "base")
    repo.commit(terraform_estate(cidr_staging="0.0.0.0/0", cidr_prod="0.0.0.0/0"), "open both")
    code, doc = diff_json(repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert sorted((c["status"], c["root"]) for c in doc["changes"]) \
        == [("widened", "envs/prod"), ("widened", "envs/staging")]
    by_root = {c["root"]: c["via"] for c in doc["changes"]}
    assert by_root == {"envs/prod": ["envs/prod/terraform.tfvars"],
                       "envs/staging": ["envs/staging/terraform.tfvars"]}
    text = diff(repo.root, "main~1", "main", monkeypatch=monkeypatch).output
    assert "in root envs/prod" in text and "in root envs/staging" in text
    markdown = diff(repo.root, "main~1", "main", "-f", "markdown", monkeypatch=monkeypatch).output
    assert "`module.db.aws_security_group.db in root envs/staging`" in markdown


def test_diff_takes_the_options_check_has(compose_repo, monkeypatch):
    compose_repo.commit({"legacy/old.yaml": "services:\n  rdp:\n    image: x\n    ports:\n      - \"3389:3389\"\n",
                         "compose.yaml": COMPOSE + MONGO})
    code, doc = diff_json(compose_repo.root, "main~1", "main", "--exclude", "legacy", monkeypatch=monkeypatch)
    assert statuses(doc) == [("opened", "compose.yaml", "services.mongo")]
    code, doc = diff_json(compose_repo.root, "main~1", "main", "--path", "legacy", monkeypatch=monkeypatch)
    assert statuses(doc) == [("opened", "legacy/old.yaml", "services.rdp")]
    for option in ("--var-file", "--var", "--env-file", "--exclude", "--project-root", "--path"):
        assert option in diff(compose_repo.root, "--help", monkeypatch=monkeypatch).output


def test_terraform_var_file_applies_to_both_sides(tmp_path, monkeypatch):
    repo = Repo(tmp_path / "estate")
    estate = terraform_estate()
    estate["open.tfvars"] = 'allowed = ["0.0.0.0/0"]\n'
    repo.commit(estate, "base")
    repo.commit({"envs/prod/terraform.tfvars": 'allowed = ["10.2.0.0/16"]\n'}, "narrow prod")
    code, doc = diff_json(repo.root, "main~1", "main", "--var-file", "open.tfvars", monkeypatch=monkeypatch)
    assert code == 0 and doc["changes"] == []  # --var-file wins over both sides' tfvars
    code, doc = diff_json(repo.root, "main~1", "main", "--var", 'allowed=["0.0.0.0/0"]', monkeypatch=monkeypatch)
    assert code == 0 and doc["changes"] == []


def test_action_passes_args_and_paths_to_the_diff(tmp_path):
    from tests.test_action import _run

    env = {"PORTLINT_DIFF_BASE": "abc123", "PORTLINT_FORMAT": "github", "PORTLINT_FAIL_ON": "medium",
           "PORTLINT_SARIF": "portlint.sarif", "PORTLINT_ARGS": "--var-file prod.tfvars --exclude '*.md'",
           "PORTLINT_PATHS": "infra deploy/*"}
    result, _, output = _run(tmp_path, "diff", 'for a in "$@"; do printf "<%s>" "$a"; done; echo\nexit 0\n', env)
    assert "exit-code=0" in output
    assert ("<--var-file><prod.tfvars><--exclude><'*.md'><--path><infra><--path><deploy/*><--><abc123><HEAD>"
            in result.stdout), result.stdout


def test_work_tree_move_without_git_mv_is_unchanged(compose_repo, monkeypatch):
    (compose_repo.root / "deploy").mkdir()
    os.rename(compose_repo.root / "compose.yaml", compose_repo.root / "deploy" / "compose.yaml")
    code, doc = diff_json(compose_repo.root, "HEAD", monkeypatch=monkeypatch)
    assert (code, doc["changes"], doc["summary"]["unchanged"]) == (0, [], 2)
    assert doc["renamed"] == [{"from": "compose.yaml", "to": "deploy/compose.yaml"}]


def test_work_tree_move_with_a_small_edit_keeps_identity(compose_repo, monkeypatch):
    (compose_repo.root / "deploy").mkdir()
    (compose_repo.root / "deploy" / "compose.yaml").write_text(
        "# moved\n" + COMPOSE.replace('"5432:5432"', '"127.0.0.1:5432:5432"'))
    (compose_repo.root / "compose.yaml").unlink()
    code, doc = diff_json(compose_repo.root, "HEAD", monkeypatch=monkeypatch)
    assert statuses(doc) == [("narrowed", "deploy/compose.yaml", "services.db")]


def test_two_folders_move_with_a_small_edit_keeps_identity(tmp_path, monkeypatch):
    (tmp_path / "old").mkdir()
    (tmp_path / "new" / "deploy").mkdir(parents=True)
    (tmp_path / "old" / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "new" / "deploy" / "compose.yaml").write_text("# moved\n" + COMPOSE)
    code, doc = diff_json(tmp_path, "old", "new", monkeypatch=monkeypatch)
    assert (code, doc["changes"]) == (0, [])


def test_messages_never_show_temporary_folders(compose_repo, monkeypatch):
    compose_repo.commit({"compose.yaml": COMPOSE.replace("    image: postgres\n",
                                                         "    image: postgres\n    env_file: ../../outside.env\n")})
    for args in (("main~1", "main"), ("main~1",)):
        result = diff(compose_repo.root, *args, "-f", "json", monkeypatch=monkeypatch)
        assert "outside.env" in result.output
        assert "portlint-diff-" not in result.output, result.output
    result = diff(compose_repo.root, "main~1", "main", "--project-root", compose_repo.root.parent,
                  monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "portlint-diff-" not in result.output


def test_hints_name_the_real_problem(compose_repo, tmp_path, monkeypatch):
    (tmp_path / "est").mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = diff(tmp_path, "est", "nonexist", monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "no such folder: nonexist" in result.output
    assert "not a git repository" not in result.output
    result = diff(compose_repo.root, "no-such-branch", monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "shallow" not in result.output
    shallow = tmp_path / "shallow"
    Repo.__new__(Repo)  # the helper only builds; clone with git itself
    import subprocess

    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{compose_repo.root}", str(shallow)], check=True,
                   capture_output=True)
    result = diff(shallow, "no-such-branch", monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "shallow clone" in result.output


def test_rows_and_headline_in_order_of_risk(tmp_path, monkeypatch):
    repo = Repo(tmp_path / "estate")
    estate = terraform_estate()
    repo.commit(estate, "base")
    estate["envs/staging/terraform.tfvars"] = 'allowed = ["0.0.0.0/0"]\n'
    estate["envs/prod/terraform.tfvars"] = 'allowed = ["10.1.0.0/16"]\n'
    estate["wide.tf"] = ('resource "aws_security_group" "wide" {\n  ingress {\n    from_port = 0\n    to_port = 65535\n'
                         '    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n')
    repo.commit(estate, "open")
    code, doc = diff_json(repo.root, "main~1", "main", monkeypatch=monkeypatch)
    order = [(c["status"], c["severity_after"]) for c in doc["changes"]]
    assert order == [("opened", "critical"), ("widened", "high"), ("narrowed", None)]
    assert "0-65535/tcp from 0.0.0.0/0 at wide.tf:2 (opened, critical)" in doc["headline"]
    assert "PostgreSQL 5432/tcp from 0.0.0.0/0 (was 10.0.0.0/8) at modules/db/main.tf:7 in root envs/staging" \
        in doc["headline"] and "(widened, low → high)" in doc["headline"]
    assert "in root ." not in doc["headline"]


def test_severity_words_not_symbols(compose_repo, monkeypatch):
    compose_repo.commit({"compose.yaml": COMPOSE.replace('"5432:5432"', '"127.0.0.1:5432:5432"')
                         .replace('"443:443"', '"127.0.0.1:8443:8443"')})
    text = diff(compose_repo.root, "main~1", "main", monkeypatch=monkeypatch).output
    assert "[severity high → no finding" in text and "[severity no finding]" in text
    assert "[-" not in text and "none →" not in text


def test_compose_override_rebinding_to_loopback_is_narrowed(tmp_path, monkeypatch):
    repo = Repo(tmp_path / "app")
    repo.commit({"compose.yaml": COMPOSE}, "base")
    repo.commit({"compose.override.yaml": "services:\n  db:\n    ports: !override [\"127.0.0.1:5432:5432\"]\n"},
                "bind the database to loopback")
    code, doc = diff_json(repo.root, "main~1", "main", monkeypatch=monkeypatch)
    assert code == 0
    assert [c["status"] for c in doc["changes"]] == ["narrowed"]
    assert doc["changes"][0]["resource"] == "services.db"
