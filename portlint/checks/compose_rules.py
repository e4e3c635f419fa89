"""Rules about how containers are published on their host."""

from __future__ import annotations

from typing import Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.model import Exposure, Severity


class HostNetwork(Rule):
    """A container shares the host's network stack.

    ## What it does
    Reports `network_mode: host` in Compose (and host networking in other
    formats): every port the container listens on opens directly on the host's
    interfaces.

    ## Why is this bad?
    The file no longer says which ports are exposed: whatever the image listens
    on, today or after an upgrade, is reachable wherever the host is. Port
    mappings are ignored, so a loopback bind cannot protect it.

    ## Example
    ```yaml
    services:
      metrics:
        image: prom/node-exporter
        network_mode: host
    ```

    ## Use instead
    ```yaml
    services:
      metrics:
        image: prom/node-exporter
        ports:
          - "127.0.0.1:9100:9100"
    ```

    ## References
    - Compose specification, `network_mode`.
    """

    code = "PL301"
    name = "host-network"
    severity = Severity.MEDIUM
    summary = "A container uses host networking, so all its ports are on the host."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if "host-network" in e.traits and e.protocol == "all":
            yield Hit(e, f"{e.resource} uses host networking: every port it listens on is open on "
                         "all host interfaces, and port mappings no longer apply")


RULES = [HostNetwork]
