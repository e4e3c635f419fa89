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
        from portlint.checks.verdict import verdict

        found = verdict(self.code, e, ctx)
        if found is not None:
            yield Hit(e, found.text, found.severity)


RULES = [UnregisteredPublicPort]
