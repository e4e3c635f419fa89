"""Rules that judge exposures against the port registry."""

from __future__ import annotations

from typing import Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.checks.describe import ports_label, reach_phrase
from portlint.checks.internet import public_ingress
from portlint.model import Exposure, Severity


class UnregisteredPublicPort(Rule):
    """A public port that no registry entry explains.

    ## What it does
    Reports, for information, a narrow port range (up to 64 ports) open to the
    internet on which neither the IANA registry nor portlint's list of de-facto
    services knows any service, and which is not on the risk list.

    ## Why is this bad?
    Nobody reading the rule can tell what it is for: a debug port, a leftover
    of a test, or a service that moved. Public ports should be explainable.

    ## Example
    ```yaml
    services:
      app:
        image: example/app
        ports:
          - "40007:40007"
    ```

    ## Use instead
    ```yaml
    services:
      app:
        image: example/app
        ports:
          - "443:8443"
    ```

    ## References
    - IANA Service Name and Transport Protocol Port Number Registry.
    """

    code = "PL401"
    name = "unregistered-public-port"
    severity = Severity.INFO
    summary = "A public port that no registry entry explains."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if not public_ingress(e) or e.service_ports.size > 64 or e.traits & {"ephemeral-host-port", "host-network"}:
            return
        if ctx.risks.matching(e.protocol, e.service_ports):
            return
        from portlint.registry import load_registry

        if load_registry().explains(e.protocol, e.service_ports):
            return
        yield Hit(e, f"{ports_label(e)} {reach_phrase(e)}, and no known service uses it; "
                     "say what it is for, or close it")


RULES = [UnregisteredPublicPort]
