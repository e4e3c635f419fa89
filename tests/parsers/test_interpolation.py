from __future__ import annotations

import pytest

from portlint.parsers.interpolation import (
    UNRESOLVED_MARK, InterpolationError, interpolate, parse_env_file,
)

ENV = {"A": "1", "EMPTY": "", "NAME": "web"}


@pytest.mark.parametrize("text, expected", [
    ("$A", "1"), ("${A}", "1"), ("x${A}y", "x1y"), ("$$A", "$A"), ("a$", "a$"),
    ("${A:-9}", "1"), ("${MISSING:-9}", "9"), ("${EMPTY:-9}", "9"), ("${EMPTY-9}", ""),
    ("${MISSING-9}", "9"), ("${A:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"),
    ("${MISSING:-${A}}", "1"), ("${MISSING:-${ALSO_MISSING:-deep}}", "deep"),
    ("${A:?must be set}", "1"),
])
def test_interpolation(text, expected):
    result = interpolate(text, ENV)
    assert result.value == expected and result.unresolved == []


@pytest.mark.parametrize("text, names", [
    ("${MISSING}", ["MISSING"]), ("$MISSING", ["MISSING"]), ("${MISSING:?say}", ["MISSING"]),
    ("${EMPTY:?say}", ["EMPTY"]), ("${X}:${Y}", ["X", "Y"]),
])
def test_unresolved_are_named(text, names):
    result = interpolate(text, ENV)
    assert result.unresolved == names and UNRESOLVED_MARK in result.value


@pytest.mark.parametrize("text", ["${", "${A", "${-x}", "${A!x}"])
def test_bad_syntax(text):
    with pytest.raises(InterpolationError):
        interpolate(text, ENV)


def test_env_file_syntax():
    text = (
        "# comment\n"
        "export PORT=8080\n"
        "BIND = 0.0.0.0   # trailing comment\n"
        "QUOTED='${PORT} literal'\n"
        'DOUBLE="${PORT}/tcp"\n'
        "REF=${PORT}\n"
        "EMPTY=\n"
        "ALONE\n"
        'MULTI="a\nb"\n'
    )
    assert parse_env_file(text) == {
        "PORT": "8080", "BIND": "0.0.0.0", "QUOTED": "${PORT} literal", "DOUBLE": "8080/tcp",
        "REF": "8080", "EMPTY": "", "MULTI": "a\nb",
    }
