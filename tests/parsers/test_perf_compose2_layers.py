"""A service one file writes is read by ``_FileReader._read_layer``, without building Layers; it
must find what the general ``_read_merged`` finds for that one layer: the same exposures (image,
network mode, each entry's line) and the same errors, whatever the service holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from portlint.parsers import compose
from portlint.yamlpos import load_single

SERVICES = [
    "image: nginx\nports: ['80:80', '127.0.0.1:8443:443']\nexpose: ['3000']",
    "image: !reset nginx\nports: ['80:80']",
    "image: ${IMAGE:-redis}\nports:\n  - target: 80\n    published: '8080'\n    host_ip: ${IP}\n",
    "image: [not, a, string]\nports: ['80']",
    "image: ${BAD\nports: ['80']",
    "network_mode: host\nexpose: ['53/udp']\nports: ['8080:80']",
    "network_mode: ${MODE:-host}\nports: ['8080:80']",
    "network_mode: [host]\nports: ['8080:80']",
    "network_mode: !reset host\nports: ['8080:80']",
    "ports: !override ['80:80', '80:80']",
    "ports: !reset ['80:80']\nexpose: !reset ['80']",
    "ports: '80:80'",
    "ports: {a: 1}\nexpose: 3000",
    "ports: ['70000:80', 'a:b', true, null, 8080, [1], '${P}:80']\nexpose: ['80:80', x, 3000, false]",
    "ports: []\nexpose: []",
    "ports: ['${HOST_IP}:80:80', '${UNSET}']",
    "build: .",
]


def _read(text: str, general: bool):
    doc, problems = load_single("services:\n  web:\n" + "".join("    " + line + "\n"
                                                                 for line in text.splitlines()))
    assert not problems, problems
    services = doc["services"]
    path = Path("/project/docker-compose.yml")
    reader = compose._FileReader("docker-compose.yml", {"IP": "10.0.0.1"}, path, None, services)
    layer = ("docker-compose.yml", path, services["web"], services, services.spans["web"])
    reader._use(layer)
    (reader._read_merged if general else reader._read_layers)("services.web", [layer])
    return reader.exposures, reader.errors, reader.image


@pytest.mark.parametrize("text", SERVICES)
def test_one_layer_reads_as_the_general_path(text):
    fast = _read(text, general=False)
    slow = _read(text, general=True)
    assert fast == slow
    assert fast[0] or fast[1] or text == "build: ." or "[]" in text or "!reset" in text


def test_one_layer_path_is_the_one_used(monkeypatch):
    calls = []
    monkeypatch.setattr(compose._FileReader, "_read_merged",
                        lambda self, resource, layers: calls.append(len(layers)))
    exposures, _errors, _image = _read("ports: ['80:80']", general=False)
    assert calls == [] and len(exposures) == 1
    doc, _ = load_single("services:\n  web:\n    ports: ['80:80']\n")
    services = doc["services"]
    layer = ("a.yml", None, services["web"], services, services.spans["web"])
    compose._FileReader("a.yml", {}, None, None, services)._read_layers("services.web", [layer, layer])
    assert calls == [2]
