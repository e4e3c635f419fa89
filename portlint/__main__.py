"""``python -m portlint``: the console script, without the current folder on the import path.

``python -m`` puts the current folder first on ``sys.path``; in CI that is the
untrusted repository being checked, so a planted module (or a planted
``*.dist-info/entry_points.txt``) there must never be imported. The folder is
removed before anything else is imported. The ``portlint`` console script does
not have this problem and is what CI should call.
"""

import os as _os
import sys as _sys


def _strip_current_folder() -> None:
    try:
        here = _os.path.realpath(_os.getcwd())
    except OSError:
        here = None
    kept = []
    for entry in _sys.path:
        if entry in ("", "."):
            continue
        if here is not None:
            try:
                if _os.path.realpath(entry) == here:
                    continue
            except (OSError, ValueError):
                pass
        kept.append(entry)
    _sys.path[:] = kept


_strip_current_folder()

from portlint.cli import run  # noqa: E402  (after the path is cleaned, on purpose)

run()
