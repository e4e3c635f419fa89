"""The rule that reports bad and unused suppressions (the engine finds them; see portlint.suppress)."""

from __future__ import annotations

from portlint.checks import Rule
from portlint.model import Severity


class SuppressionHygiene(Rule):
    """A suppression is misspelled, names an unknown rule, or suppresses nothing.

    ## What it does
    Reports, at the comment's (or annotation's) own line:

    - a `# portlint:` comment that is not a directive (`disble=PL101`,
      `disable PL101` without `=`), or an expiry that is not a date;
    - a rule code or name in a suppression that no rule has (`PL1O1`),
      with the nearest real code;
    - a suppression that matches no finding (the exposure was fixed, the line
      moved, or the wrong code was named), for the rules that ran.

    Codes are matched without regard to case. A finding whose suppression has
    expired, or has no reason while `require-reason: true` is set, is not
    reported here: the finding itself returns and says why.

    ## Why is this bad?
    A typo in a suppression leaves the finding open while the author believes
    it is handled, and a stale suppression waits to silence the next exposure
    written on that line. Both erode trust in the gate.

    ## Example
    ```yaml
    # compose.yaml
    services:
      db:
        image: postgres:16
        ports:
          - "127.0.0.1:5432:5432"  # portlint: disble=PL101 -- firewalled
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: db
      annotations:
        portlint.dev/disable: "PL1O1: VPN-only load balancer"
    spec:
      type: ClusterIP
      selector:
        app: db
      ports:
        - port: 5432
    ```

    ```hcl
    # main.tf
    resource "aws_security_group_rule" "db" {
      type                     = "ingress"
      from_port                = 5432
      to_port                  = 5432
      protocol                 = "tcp"
      source_security_group_id = aws_security_group.app.id # portlint: disable=PL101 -- app only
      security_group_id        = aws_security_group.db.id
    }
    ```

    ## Use instead
    ```yaml
    # compose.yaml
    services:
      db:
        image: postgres:16
        ports:
          - "127.0.0.1:5432:5432"
    ```

    ```yaml
    # service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: db
    spec:
      type: ClusterIP
      selector:
        app: db
      ports:
        - port: 5432
    ```

    ```hcl
    # main.tf
    resource "aws_security_group_rule" "db" {
      type                     = "ingress"
      from_port                = 5432
      to_port                  = 5432
      protocol                 = "tcp"
      source_security_group_id = aws_security_group.app.id
      security_group_id        = aws_security_group.db.id
    }
    ```

    ## References
    - docs/suppressing.md: directives, reasons, expiry, annotations and accepted exposures.
    - Silence this rule in a file with `# portlint: disable-file=PL601 -- reason`.
    """

    code = "PL601"
    name = "suppression-hygiene"
    severity = Severity.LOW
    summary = "A suppression is misspelled, names an unknown rule, or suppresses nothing."


RULES = [SuppressionHygiene]
