"""``portlint render``: draw the port map from a saved JSON inventory, and the page options
shared with ``inventory --format html`` and ``check --report html:FILE``."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import click


def check_link_base(ctx, param, value: str | None) -> str | None:
    """``--link-base`` must be an http(s) URL or a relative path: never ``javascript:`` or ``data:``."""
    if value is None:
        return None
    if any(ord(c) < 0x21 or c in "\"'<>\\`" for c in value):
        raise click.BadParameter("must be a URL without spaces, quotes or angle brackets", param=param)
    scheme = urlsplit(value).scheme.lower()
    if scheme not in ("", "http", "https"):
        raise click.BadParameter(f"must be an http(s) URL or a relative path, not a {scheme}: URL", param=param)
    return value


link_base_option = click.option(
    "--link-base", metavar="URL", callback=check_link_base,
    help="Link each file:line under URL (e.g. https://github.com/ORG/REPO/blob/COMMIT/) "
         "instead of relative to the page.")


def suppression_reasons(report, options) -> dict:
    """The reason of the comment, annotation or accept entry that waived each finding."""
    return {finding: waiver.reason for finding, waiver in report.waivers.items() if waiver.reason}


def page_options(report, options, output: Path | None, link_base: str | None = None) -> dict:
    """What the HTML page needs besides the report: reasons, where it is written, the link base."""
    return {"suppression_reasons": suppression_reasons(report, options), "cwd": options.cwd,
            "page_dir": output.parent if output is not None else Path("."), "link_base": link_base,
            # the folder displayed file names are relative to (the project root), for links
            "root": getattr(options, "display_base", None) or options.cwd}


def load_inventory(path: Path) -> dict:
    """A saved inventory document, validated against its schema; a usage error if it is not one."""
    from portlint import limits
    from portlint.inputs import ReadRefused, read_input
    from portlint.schemas import json_path, validator

    try:
        text = read_input(path)
    except ReadRefused as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.reason}", param_hint="INVENTORY") from None
    if text is None:
        raise click.BadParameter(f"{path} does not exist", param_hint="INVENTORY")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"{path} is not JSON: {exc}", param_hint="INVENTORY") from None
    except RecursionError:
        raise click.BadParameter(f"{path} is nested too deeply to be an inventory", param_hint="INVENTORY") from None
    exposures = doc.get("exposures") if isinstance(doc, dict) else None
    if isinstance(exposures, list) and len(exposures) > limits.EXPOSURES_PER_FILE:
        raise click.BadParameter(f"{path} has {len(exposures):,} exposures, over portlint's limit of "
                                 f"{limits.EXPOSURES_PER_FILE:,} (raise it with PORTLINT_MAX_EXPOSURES_PER_FILE)",
                                 param_hint="INVENTORY")
    problem = next(iter(validator("inventory").iter_errors(doc)), None) if isinstance(doc, dict) else True
    if problem is not None:
        where = json_path(problem.absolute_path) if problem is not True else "$"
        message = problem.message if problem is not True else "not an object"
        raise click.BadParameter(f"{path} is not a portlint inventory ({where}: {message[:300]})",
                                 param_hint="INVENTORY")
    return doc


@click.command()
@click.argument("inventory_file", metavar="INVENTORY", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "-f", "fmt", type=click.Choice(["html"]), default="html", show_default=True,
              help="Output format.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the page to FILE instead of standard output.")
@link_base_option
@click.option("--title", default=None, help="Page title (default: Port map).")
def render(inventory_file, fmt, output, link_base, title):
    """Draw the port map from a saved `portlint inventory --format json` document.

    A pipeline can keep the JSON and draw the page later; file links are made
    relative to the page, or to --link-base.
    """
    from portlint.engine import Options
    from portlint.formatters.html import render_document

    from portlint.cli import _write

    doc = load_inventory(inventory_file)
    cwd = Path.cwd()
    # files are relative to the scan root the document recorded (relative to the document's own folder);
    # a document without one (older portlint) is taken as relative to the current folder
    root = cwd
    recorded = doc.get("scan_root")
    if isinstance(recorded, str) and recorded and "\x00" not in recorded:
        root = (cwd / inventory_file).parent / recorded
    page = render_document(doc, {"page_dir": output.parent if output is not None else Path("."),
                                 "cwd": cwd, "root": root, "link_base": link_base, "title": title})
    if output is None:
        click.echo(page, nl=False)
    else:
        options = Options(environ={})
        options.read.add(_identity(inventory_file))
        _write(output, page, options)


def _identity(path: Path) -> tuple[int, int]:
    import os

    info = os.stat(path)
    return info.st_dev, info.st_ino
