"""Formatters only render a finished report; they are looked up by name, lazily."""

from __future__ import annotations

from importlib import import_module
from typing import Callable

from portlint.model import Report

#: format name -> "module:function"; the function takes (report, options) and returns text.
CHECK_FORMATS = {
    "text": "portlint.formatters.text:render_check",
    "json": "portlint.formatters.json_report:render_check",
    "sarif": "portlint.formatters.sarif:render_check",
    "github": "portlint.formatters.github:render_check",
    "markdown": "portlint.formatters.github:render_markdown",
    "gitlab": "portlint.formatters.gitlab:render_check",
    "junit": "portlint.formatters.junit:render_check",
    "html": "portlint.formatters.html:render_check",
}
INVENTORY_FORMATS = {
    "table": "portlint.formatters.text:render_inventory",
    "json": "portlint.formatters.json_report:render_inventory",
    "html": "portlint.formatters.html:render_inventory",
}

Renderer = Callable[[Report, dict], str]


def get_renderer(table: dict[str, str], name: str) -> Renderer:
    module_name, _, attr = table[name].partition(":")
    return getattr(import_module(module_name), attr)
