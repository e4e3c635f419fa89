"""Escaping for every formatter: what came from a checked file is printed as data, never as markup.

File names, resource and service names, messages and raw values come from the
repository being checked, which may be hostile. Each output has its own hazard:

- terminals (text, table): control characters recolour the screen or forge
  lines, bidi overrides reorder what is shown -> ``visible`` shows them as
  ``\\x1b``, ``\\n``, ``\\u202e``;
- GitHub workflow commands: a newline ends the command and starts another ->
  ``workflow_data`` / ``workflow_property`` (GitHub's ``%25 %0D %0A %3A %2C``);
- Markdown (job summary, pull-request comments): raw HTML and table pipes ->
  ``markdown_text`` / ``markdown_code``;
- XML (JUnit): characters XML 1.0 forbids -> ``visible`` removes them all;
- JSON (SARIF, GitLab, json): lone surrogates (undecodable file names) are
  not Unicode -> ``json_safe``.
"""

from __future__ import annotations

#: code points shown escaped: C0, DEL, C1, line/paragraph separators, directional marks,
#: embeddings, overrides and isolates, the BOM, surrogates and the two noncharacters XML refuses
_SHOWN = ({*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F, 0x2028, 0x2029,
           *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF, 0xFFFE, 0xFFFF}
          | set(range(0xD800, 0xE000)))
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(code: int) -> str:
    char = chr(code)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_VISIBLE = {code: _shown(code) for code in _SHOWN}
_VISIBLE_LINES = {code: text for code, text in _VISIBLE.items() if chr(code) not in "\n\t"}


def visible(text: object) -> str:
    """``text`` on one line with every control, bidi and surrogate character written out."""
    text = str(text)
    if text.isprintable():  # fast path: no Cc, Cf, Cs, Zl, Zp characters at all
        return text
    return text.translate(_VISIBLE)


def visible_lines(text: object) -> str:
    """Like ``visible`` but keeps newlines and tabs (multi-line documentation)."""
    text = str(text)
    return text if text.isprintable() else text.translate(_VISIBLE_LINES)


def workflow_data(text: object) -> str:
    """The message part of a GitHub workflow command (after ``::``)."""
    return visible(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: object) -> str:
    """A property value of a GitHub workflow command (``file=``, ``title=``)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


#: HTML entities, and a backslash before Markdown punctuation that could make emphasis,
#: code, links or strike-through, or end a table cell
#: ``@`` is followed by a word joiner (U+2060) so a name in a checked file never mentions anyone in a
#: pull-request comment (GitHub links mentions in the rendered text, after entities are decoded)
_MARKDOWN = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord("@"): "@\u2060",
             **{ord(c): "\\" + c for c in "\\`*_[]|~"}}
_PLAIN_CODE = frozenset("`<>&|\\")


def markdown_text(text: object) -> str:
    """Text for a Markdown paragraph, list item or table cell: no HTML, no markup, one line."""
    return visible(text).translate(_MARKDOWN)


def markdown_code(text: object) -> str:
    """Inline code: a backtick span when nothing needs escaping, else ``<code>`` with escaped text."""
    shown = visible(text)
    if shown and not _PLAIN_CODE.intersection(shown):
        return f"`{shown}`"
    return f"<code>{markdown_text(shown)}</code>"


def json_safe(value):
    """``value`` (dicts, lists, strings, numbers) with lone surrogates written as ``\\udcff`` text."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return "".join(_VISIBLE[ord(c)] if 0xD800 <= ord(c) < 0xE000 else c for c in value)
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
