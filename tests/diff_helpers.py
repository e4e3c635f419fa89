"""Real git repositories for the ``portlint diff`` tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}


class Repo:
    """A git repository in a test folder: write files, commit, move them."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("-c", "init.defaultBranch=main", "init", "-q")

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        done = subprocess.run(["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True)
        return done.stdout

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def commit(self, files: dict[str, str] | None = None, message: str = "change") -> str:
        if files:
            self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


COMPOSE = """\
services:
  web:
    image: nginx
    ports:
      - "443:443"
  db:
    image: postgres
    ports:
      - "5432:5432"
"""

MODULE = """\
variable "allowed" {
  type = list(string)
}

resource "aws_security_group" "db" {
  name = "db"
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = var.allowed
  }
}
"""

ROOT = """\
variable "allowed" {
  type = list(string)
}

module "db" {
  source  = "../../modules/db"
  allowed = var.allowed
}
"""


def terraform_estate(cidr_staging: str = "10.0.0.0/8", cidr_prod: str = "10.0.0.0/8") -> dict[str, str]:
    """Two roots (staging, prod) calling one module, each with its own tfvars."""
    return {
        "modules/db/main.tf": MODULE,
        "envs/staging/main.tf": ROOT,
        "envs/staging/terraform.tfvars": f'allowed = ["{cidr_staging}"]\n',
        "envs/prod/main.tf": ROOT,
        "envs/prod/terraform.tfvars": f'allowed = ["{cidr_prod}"]\n',
    }
