"""ACME101: CI servers hold deployment credentials and must not face the internet."""

from __future__ import annotations

from fnmatch import fnmatch

from portlint.checks import Hit, Rule
from portlint.model import Severity

CI_IMAGES = ("jenkins*", "*/jenkins*", "gitlab/gitlab-runner*", "drone/drone*")


class NoPublicCi(Rule):
    """A CI server is reachable from the internet.

    ## What it does
    Reports a Compose service running a CI server image (Jenkins, Drone,
    GitLab Runner) whose ports are reachable from the internet.

    ## Why is this bad?
    CI servers hold deployment keys for every environment.

    ## Example
    ```yaml
    services:
      ci:
        image: jenkins/jenkins:lts
        ports: ["8080:8080"]
    ```

    ## Use instead
    ```yaml
    services:
      ci:
        image: jenkins/jenkins:lts
        ports: ["127.0.0.1:8080:8080"]
    ```

    ## References
    - ACME security standard, section 4.2.
    """

    code = "ACME101"
    name = "no-public-ci"
    severity = Severity.HIGH
    summary = "A CI server is reachable from the internet."

    def check(self, exposure, ctx):
        if exposure.scope != "internet" or exposure.action != "allow" or exposure.direction != "ingress":
            return
        image = exposure.image.lower()
        if image and any(fnmatch(image, pattern) for pattern in CI_IMAGES):
            yield Hit(exposure, f"{exposure.resource} runs the CI server {exposure.image} on a public port")
