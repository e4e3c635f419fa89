"""Issue 13, 11: the JSON Schemas are self-contained (no unreachable URL, every reference resolves inside
the repository) and the real outputs and shipped inputs validate against them offline."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from portlint.schemas import SCHEMA_DIR, load_schema, stems, validator
from tests.conftest import REPO
from tests.diff_helpers import Repo


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _pointer(doc, pointer: str):
    for part in [p for p in pointer.split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


@pytest.mark.parametrize("stem", stems())
def test_schema_ids_are_urns_and_refs_resolve_in_the_repository(stem):
    schema = load_schema(stem)
    assert schema["$id"] == f"urn:portlint:schema:{stem}"
    text = (SCHEMA_DIR / f"{stem}.schema.json").read_text()
    assert not re.search(r"https?://(?!json-schema\.org/draft/2020-12/schema\")", text), \
        "only the meta-schema may be named by URL"
    by_name = {f"{s}.schema.json": load_schema(s) for s in stems()} | {load_schema(s)["$id"]: load_schema(s)
                                                                       for s in stems()}
    for ref in _refs(schema):
        base, _, pointer = ref.partition("#")
        target = schema if base == "" else by_name.get(base)
        assert target is not None, f"{stem}: $ref {ref!r} names no schema in portlint/schemas"
        _pointer(target, pointer)  # raises when the pointer leads nowhere


def test_validation_never_fetches(monkeypatch):
    import urllib.request

    def refuse(*args, **kwargs):
        raise AssertionError("a schema reference was fetched")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    broken = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "https://portlint.invalid/x.json"}
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.exceptions import Unresolvable

    with pytest.raises(Unresolvable):
        Draft202012Validator(broken, registry=Registry()).validate({})


def test_check_and_inventory_of_the_examples_validate(run_cli):
    check = json.loads(run_cli("check", "-f", "json", REPO / "examples").stdout)
    inventory = json.loads(run_cli("inventory", "-f", "json", REPO / "examples").stdout)
    assert check["findings"] and inventory["exposures"]
    validator("report").validate(check)
    validator("inventory").validate(inventory)


def test_inventory_json_carries_the_service_the_table_shows(run_cli):
    table = run_cli("inventory", REPO / "examples").stdout.splitlines()
    header, rows = table[0], [row for row in table[1:] if row.strip() and not row.endswith(" files.")]
    start = header.index("SERVICE")
    shown = [row[start:].strip() for row in rows]
    doc = json.loads(run_cli("inventory", "-f", "json", REPO / "examples").stdout)
    assert len(doc["exposures"]) == len(shown)
    assert all("service" in e for e in doc["exposures"])
    assert [e["service"] or "-" for e in doc["exposures"]] == [s or "-" for s in shown]
    assert "PostgreSQL" in shown and "https" in shown


def test_diff_json_validates(tmp_path, run_cli, monkeypatch):
    repo = Repo(tmp_path / "repo")
    repo.commit({"docker-compose.yml": "services:\n  web:\n    image: nginx\n    ports: ['127.0.0.1:80:80']\n"})
    repo.commit({"docker-compose.yml": "services:\n  db:\n    image: redis:7\n    ports: ['6379:6379']\n"})
    monkeypatch.chdir(repo.root)
    result = run_cli("diff", "-f", "json", "HEAD~1", "HEAD")
    doc = json.loads(result.stdout)
    assert doc["changes"]
    validator("diff").validate(doc)


def test_shipped_inputs_validate(tmp_path):
    validator("risks").validate(yaml.safe_load((REPO / "rules" / "risks.yaml").read_text()))
    validator("firewall").validate(yaml.safe_load((REPO / "examples" / "firewall" / "edge.firewall.yaml").read_text()))
    for path in sorted((REPO / "examples" / "rules-dir").glob("*.yaml")):
        validator("declarative-rule").validate(yaml.safe_load(path.read_text()))
    docs = (REPO / "docs" / "configuration.md").read_text()
    example = re.search(r"```yaml\n(# yaml-language-server.*?)```", docs, re.DOTALL).group(1)
    from portlint.config import load_config

    (tmp_path / "deploy").mkdir()
    for name in ("deploy/base.yaml", "deploy/prod.yaml", "deploy/prod.env", "deploy/ci.env"):
        (tmp_path / name).write_text("")
    (tmp_path / ".portlint.yaml").write_text(example)
    load_config(tmp_path / ".portlint.yaml", ".portlint.yaml")  # validated by the config schema: raises if not
