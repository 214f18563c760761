"""Where each key and item of a config file is: its line, for the diagnostics.

JSON and TOML are scanned by hand (the document was already parsed by ``json`` and
``tomllib``, which keep no positions); YAML lines come from PyYAML's composed nodes.
No library fits the other two: tomlkit keeps whitespace and comments ("trivia") but no
line or column; json-source-map maps JSON pointers to positions but keeps only the last
of two repeated keys and does not report them, which is the one thing the JSON scan must
find. The scans run only when a line is asked for (see ``_Lines``).
``_location()`` and ``_parse_location()`` convert a key path to and from the dotted
location the messages print (``namespaces[1].budgets.dram``).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Sequence

import yaml

from vmemplan.excerpt import KEY_EXCERPT, KEY_FULL
from vmemplan.sources.config.problems import _FILE

_KeyPath = tuple[str | int, ...]


class _Lines:
    """Where each path of a document is: key (or item) lines and value line spans.

    ``scan``, when given, fills them on the first ``line()`` question: a valid file
    whose findings need no line is never scanned (the scan costs more than the parse).
    """

    def __init__(self, scan: Callable[[], _Lines] | None = None) -> None:
        self.at: dict[_KeyPath, int] = {}
        self.span: dict[_KeyPath, tuple[int, int]] = {}
        self._scan = scan

    def line(self, path: _KeyPath) -> int | None:
        """The line of ``path``; None rather than a guess when it is not known exactly."""
        if self._scan is not None:
            scanned, self._scan = self._scan(), None
            self.at, self.span = scanned.at, scanned.span
        if path in self.at:
            return self.at[path]
        for k in range(len(path) - 1, 0, -1):
            prefix = path[:k]
            span = self.span.get(prefix)
            if span is not None:
                return span[0] if span[0] == span[1] else None
            if prefix in self.at:
                return None
        return None


class _ScanError(Exception):
    """The position scanner lost its way (the document was already parsed: give up)."""


_BLANK = re.compile(r"[ \t\r]*")
_BLANK_NL = re.compile(r"[ \t\r\n]*")
_JSON_STRING = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')
_JSON_SCALAR = re.compile(r"[^,\]} \t\r\n]*")
_TOML_BASIC = _JSON_STRING
_TOML_LITERAL = re.compile(r"'[^'\n]*'")
_TOML_ML_BASIC = re.compile(r'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"{3,5}', re.DOTALL)
_TOML_ML_LITERAL = re.compile(r"'''[^']*(?:'(?!'')[^']*)*'{3,5}")
_TOML_SCALAR = re.compile(r"[^,\]}\n#]*")


class _Cursor:
    """A position in the text and its line; every move is one C-level scan (a regex match
    or ``str.count``), so scanning costs what the text's length does, not a Python step
    per character."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.line = 1

    def peek(self, n: int = 1) -> str:
        return self.s[self.i : self.i + n]

    def advance(self, n: int = 1) -> None:
        self.move_to(self.i + n)

    def move_to(self, j: int) -> None:
        self.line += self.s.count("\n", self.i, j)
        self.i = j

    def match(self, pattern: re.Pattern[str], what: str) -> None:
        m = pattern.match(self.s, self.i)
        if m is None:
            raise _ScanError(f"expected {what} at line {self.line}")
        self.move_to(m.end())

    def expect(self, text: str) -> None:
        if not self.s.startswith(text, self.i):
            raise _ScanError(f"expected {text!r} at line {self.line}")
        self.advance(len(text))

    def skip_blank(self, newlines: bool, comments: bool) -> None:
        blank = _BLANK_NL if newlines else _BLANK
        while True:
            m = blank.match(self.s, self.i)
            assert m is not None
            self.move_to(m.end())
            if comments and self.s.startswith("#", self.i):
                end = self.s.find("\n", self.i)
                self.i = len(self.s) if end < 0 else end
                if not newlines:
                    return
            else:
                return


def _json_lines(text: str) -> tuple[_Lines, list[tuple[_KeyPath, int, str]]]:
    """Lines of every key and item of a JSON document, and its duplicate keys."""
    lines = _Lines()
    dups: list[tuple[_KeyPath, int, str]] = []
    cur = _Cursor(text)

    def string() -> str:
        start = cur.i
        cur.match(_JSON_STRING, "a string")
        try:
            decoded: str = json.loads(cur.s[start : cur.i])
        except ValueError as e:
            raise _ScanError(str(e)) from None
        return decoded

    def value(path: _KeyPath) -> None:
        cur.skip_blank(newlines=True, comments=False)
        first = cur.line
        c = cur.peek()
        if c == "{":
            cur.advance()
            seen: dict[str, int] = {}
            cur.skip_blank(newlines=True, comments=False)
            while cur.peek() != "}":
                cur.skip_blank(newlines=True, comments=False)
                line = cur.line
                key = string()
                if key in seen:
                    message = f"duplicate key {key!r} (first at line {seen[key]})"
                    dups.append(((*path, key), line, message))
                seen[key] = line
                lines.at[(*path, key)] = line
                cur.skip_blank(newlines=True, comments=False)
                cur.expect(":")
                value((*path, key))
                cur.skip_blank(newlines=True, comments=False)
                if cur.peek() == ",":
                    cur.advance()
                    cur.skip_blank(newlines=True, comments=False)
                elif cur.peek() != "}":
                    raise _ScanError(f"unexpected {cur.peek()!r}")
            cur.advance()
        elif c == "[":
            cur.advance()
            index = 0
            cur.skip_blank(newlines=True, comments=False)
            while cur.peek() != "]":
                cur.skip_blank(newlines=True, comments=False)
                lines.at[(*path, index)] = cur.line
                value((*path, index))
                cur.skip_blank(newlines=True, comments=False)
                if cur.peek() == ",":
                    cur.advance()
                    index += 1
                elif cur.peek() != "]":
                    raise _ScanError(f"unexpected {cur.peek()!r}")
            cur.advance()
        elif c == '"':
            string()
        elif c:
            cur.match(_JSON_SCALAR, "a value")
        else:
            raise _ScanError("unexpected end")
        lines.span[path] = (first, cur.line)

    with contextlib.suppress(_ScanError, RecursionError):
        value(())
    return lines, dups


_TOML_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_lines(text: str) -> _Lines:
    """Lines of every key, table header and array item of a (valid) TOML document."""
    lines = _Lines()
    cur = _Cursor(text)
    aot_count: dict[_KeyPath, int] = {}

    def key_path() -> list[str]:
        keys = []
        while True:
            cur.skip_blank(newlines=False, comments=False)
            c = cur.peek()
            if c in ('"', "'"):
                start = cur.i
                string()
                raw = cur.s[start : cur.i]
                keys.append(raw[1:-1] if c == "'" else _toml_basic(raw))
            else:
                m = _TOML_BARE_KEY.match(cur.s, cur.i)
                if m is None:
                    raise _ScanError(f"no key at line {cur.line}")
                keys.append(m.group())
                cur.advance(m.end() - m.start())
            cur.skip_blank(newlines=False, comments=False)
            if cur.peek() != ".":
                return keys
            cur.advance()

    def resolve(keys: Sequence[str]) -> _KeyPath:
        path: _KeyPath = ()
        for k in keys:
            path = (*path, k)
            if path in aot_count:
                path = (*path, aot_count[path] - 1)
        return path

    def string() -> None:
        quote = cur.peek()
        if cur.peek(3) == quote * 3:
            cur.match(_TOML_ML_BASIC if quote == '"' else _TOML_ML_LITERAL, "a string")
        else:
            cur.match(_TOML_BASIC if quote == '"' else _TOML_LITERAL, "a string")

    def value(path: _KeyPath) -> None:
        first = cur.line
        c = cur.peek()
        if c in ('"', "'"):
            string()
        elif c == "[":
            cur.advance()
            index = 0
            cur.skip_blank(newlines=True, comments=True)
            while cur.peek() != "]":
                lines.at[(*path, index)] = cur.line
                value((*path, index))
                cur.skip_blank(newlines=True, comments=True)
                if cur.peek() == ",":
                    cur.advance()
                    index += 1
                    cur.skip_blank(newlines=True, comments=True)
                elif cur.peek() != "]":
                    raise _ScanError(f"unexpected {cur.peek()!r} at line {cur.line}")
            cur.advance()
        elif c == "{":
            cur.advance()
            cur.skip_blank(newlines=False, comments=False)
            while cur.peek() != "}":
                line = cur.line
                keys = key_path()
                _record_dotted(lines, path, keys, line)
                cur.expect("=")
                cur.skip_blank(newlines=False, comments=False)
                value(path + tuple(keys))
                cur.skip_blank(newlines=False, comments=False)
                if cur.peek() == ",":
                    cur.advance()
                    cur.skip_blank(newlines=False, comments=False)
                elif cur.peek() != "}":
                    raise _ScanError(f"unexpected {cur.peek()!r} at line {cur.line}")
            cur.advance()
        elif c:
            cur.match(_TOML_SCALAR, "a value")
        else:
            raise _ScanError("unexpected end")
        lines.span[path] = (first, cur.line)

    table: _KeyPath = ()
    try:
        while True:
            cur.skip_blank(newlines=True, comments=True)
            if cur.i >= len(cur.s):
                break
            line = cur.line
            if cur.peek(2) == "[[":
                cur.advance(2)
                keys = key_path()
                cur.expect("]]")
                parent = (*resolve(keys[:-1]), keys[-1])
                aot_count[parent] = aot_count.get(parent, 0) + 1
                table = (*parent, aot_count[parent] - 1)
                lines.at.setdefault(parent, line)
                lines.at[table] = line
            elif cur.peek() == "[":
                cur.advance()
                keys = key_path()
                cur.expect("]")
                table = resolve(keys)
                for k in range(1, len(keys) + 1):
                    lines.at.setdefault(resolve(keys[:k]), line)
            else:
                keys = key_path()
                _record_dotted(lines, table, keys, line)
                cur.expect("=")
                cur.skip_blank(newlines=False, comments=False)
                value(table + tuple(keys))
    except (_ScanError, RecursionError):
        pass
    return lines


def _toml_basic(raw: str) -> str:
    try:
        key: str = json.loads(raw)
    except ValueError:
        return raw[1:-1]
    return key


def _record_dotted(lines: _Lines, table: _KeyPath, keys: Sequence[str], line: int) -> None:
    for k in range(1, len(keys)):
        lines.at.setdefault(table + tuple(keys[:k]), line)
    lines.at[table + tuple(keys)] = line


_YAML_STR = "tag:yaml.org,2002:str"


def _yaml_lines(root: yaml.Node) -> tuple[_Lines, list[tuple[_KeyPath, int, str]]]:
    """Lines from the composed YAML nodes, and duplicate keys (before merge keys apply)."""
    lines = _Lines()
    dups: list[tuple[_KeyPath, int, str]] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, _KeyPath]] = [(root, ())]
    while stack and len(seen_nodes) < 100_000:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        lines.span[path] = (node.start_mark.line + 1, node.end_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _YAML_STR:
                    continue
                key, line = key_node.value, key_node.start_mark.line + 1
                if key in keys:
                    dups.append(
                        ((*path, key), line, f"duplicate key {key!r} (first at line {keys[key]})")
                    )
                keys[key] = line
                lines.at[(*path, key)] = line
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines.at[(*path, index)] = item.start_mark.line + 1
                stack.append((item, (*path, index)))
    return lines, dups


def _location_key(key: str) -> str:
    """A key as a location prints it: bare when it can be, else JSON-quoted; a key that is
    not a short identifier (an unknown key of a file that is not a config) only in part."""
    if len(key) <= KEY_FULL and _TOML_BARE_KEY.fullmatch(key):
        return key
    if len(key) <= KEY_FULL:
        return json.dumps(key)
    return json.dumps(key[:KEY_EXCERPT]) + "..."


def _location(path: _KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = _location_key(part)
            out += f".{key}" if out else key
    return out or _FILE


_LOCATION_PART = re.compile(r'\.?(?:([A-Za-z0-9_-]+)|("(?:[^"\\]|\\.)*"))|\[(\d+)\]')


def _parse_location(location: str) -> _KeyPath | None:
    """The inverse of ``_location()``; None for ``(file)`` or a malformed location."""
    path: list[str | int] = []
    pos = 0
    while pos < len(location):
        m = _LOCATION_PART.match(location, pos)
        if m is None or m.end() == pos:
            return None
        bare, quoted, index = m.groups()
        if index is not None:
            path.append(int(index))
        elif bare is not None:
            path.append(bare)
        else:
            try:
                path.append(str(json.loads(quoted)))
            except ValueError:
                return None
        pos = m.end()
    return tuple(path) if path else None
