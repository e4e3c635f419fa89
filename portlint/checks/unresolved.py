"""Rules about exposures portlint could not fully resolve."""

from __future__ import annotations

from typing import Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.checks.describe import services_label
from portlint.model import Exposure, Severity


class UnresolvedExposure(Rule):
    """An exposure depends on a value portlint could not resolve.

    ## What it does
    Reports a port entry or rule whose address or port comes from a variable
    that is unset and has no default (`${BIND_IP}` in Compose, a Terraform
    variable without default). Severity is low, raised to medium when the known
    part of the entry is a high- or critical-risk service.

    ## Why is this bad?
    What gets exposed then depends on the environment of the day. Compose, for
    one, substitutes an empty string, which binds every interface.

    ## Example
    ```yaml
    services:
      db:
        image: postgres:16
        ports:
          - "${DB_BIND}:5432:5432"
    ```

    ## Use instead
    ```yaml
    services:
      db:
        image: postgres:16
        ports:
          - "${DB_BIND:-127.0.0.1}:5432:5432"
    ```

    ## References
    - Compose specification, interpolation.
    """

    code = "PL501"
    name = "unresolved-exposure"
    severity = Severity.LOW
    summary = "An exposure depends on a variable that is unset and has no default."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if not e.unresolved or e.action != "allow":
            return
        port_unknown = "unresolved-port" in e.traits
        if e.scope != "unknown" and not port_unknown:
            return
        names = ", ".join(f"${{{n}}}" if e.kind == "compose" else n for n in e.unresolved)
        severity = None
        if port_unknown:
            what = "which port is exposed"
        else:
            entries = ctx.risks.matching(e.protocol, e.service_ports)
            label = f"{services_label(entries)} ({e.service_ports}/{e.protocol})" if entries \
                else f"{e.service_ports}/{e.protocol}"
            what = f"who can reach {label}"
            if entries and entries[0].severity >= Severity.HIGH:
                severity = Severity.MEDIUM
        yield Hit(e, f"{e.resource}: {names} is unset and has no default, so portlint cannot tell {what}",
                  severity)


RULES = [UnresolvedExposure]
