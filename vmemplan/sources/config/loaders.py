"""Reading a config file's text: TOML (tomli, tomllib's mypyc-built upstream), YAML
(PyYAML, safe) or JSON (json).

Each loader returns the document, the lines of its keys and its duplicate keys, or raises
``_LoadError`` with a one-line message and, where known, the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Literal

import tomli
import yaml

from vmemplan.errors import InputError
from vmemplan.sources.config.locations import (
    _json_lines,
    _KeyPath,
    _Lines,
    _toml_lines,
    _yaml_lines,
)
from vmemplan.sources.config.values import _MAX_TEXT

ConfigFormat = Literal["toml", "yaml", "json"]


class _LoadError(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _decode(raw: str | bytes) -> str:
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            raise _LoadError(
                f"not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})", line
            ) from None
    else:
        text = raw
    text = text.removeprefix("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:
        raise _LoadError("binary data, not a config file (NUL byte)", text.count("\n", 0, nul) + 1)
    if not text.strip():
        raise _LoadError("empty file")
    return text


_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _load_toml(text: str) -> tuple[object, _Lines, list[tuple[_KeyPath, int, str]]]:
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as e:
        message = str(e)
        m = _TOML_POS.search(message)
        if m is None:
            raise _LoadError(f"TOML syntax error: {message}") from None
        raise _LoadError(
            f"TOML syntax error: {message[: m.start()]} (column {m.group(2)})", int(m.group(1))
        ) from None
    except RecursionError:
        raise _LoadError("TOML syntax error: nested too deeply") from None
    except ValueError as e:  # int() limits on huge literals
        raise _LoadError(f"TOML syntax error: {e}") from None
    return data, _Lines(lambda: _toml_lines(text)), []  # tomli refuses duplicate keys


def _load_json(text: str) -> tuple[object, _Lines, list[tuple[_KeyPath, int, str]]]:
    duplicates = False

    def as_dict(pairs: list[tuple[str, object]]) -> dict[str, object]:
        # the same dict json.loads() builds (a repeated key keeps its first place and its
        # last value); only noting that a key repeats, which the scanner then locates
        nonlocal duplicates
        obj = dict(pairs)
        duplicates = duplicates or len(obj) != len(pairs)
        return obj

    try:
        data = json.loads(text, object_pairs_hook=as_dict)
    except json.JSONDecodeError as e:
        raise _LoadError(f"JSON syntax error: {e.msg} (column {e.colno})", e.lineno) from None
    except RecursionError:
        raise _LoadError("JSON syntax error: nested too deeply") from None
    except ValueError as e:  # int() limits on huge literals
        raise _LoadError(f"JSON syntax error: {e}") from None
    if duplicates:
        lines, dups = _json_lines(text)
        return data, lines, dups
    return data, _Lines(lambda: _json_lines(text)[0]), []


_YAML_OCTAL_OR_BASE60 = re.compile(r"[-+]?(0[0-7_]+|[0-9][0-9_]*(:[0-5]?[0-9])+)")


# libyaml's parser when PyYAML was built with it (its wheels are): the same events and
# marks, five times faster to compose than the pure-Python parser.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _YamlLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """PyYAML's safe loader, refusing YAML 1.1 octal (010) and base-60 (1:20) integers."""


def _yaml_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if len(text) > _MAX_TEXT:
        raise yaml.constructor.ConstructorError(
            None, None, "integer literal too long", node.start_mark
        )
    if not text.strip():  # '!!int' on an empty value: PyYAML's int constructor indexes it
        raise yaml.constructor.ConstructorError(
            None, None, "empty integer (a !!int tag on no value)", node.start_mark
        )
    if _YAML_OCTAL_OR_BASE60.fullmatch(text):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"ambiguous integer {text} (YAML 1.1 reads it as octal or base 60); quote it",
            node.start_mark,
        )
    value: int = loader.construct_yaml_int(node)
    return value


def _yaml_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node))
    if ":" in text:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"ambiguous number {text} (YAML 1.1 reads it as base 60); quote it",
            node.start_mark,
        )
    value: float = loader.construct_yaml_float(node)
    return value


_YamlLoader.add_constructor("tag:yaml.org,2002:int", _yaml_int)
_YamlLoader.add_constructor("tag:yaml.org,2002:float", _yaml_float)


def _load_yaml(text: str) -> tuple[object, _Lines, list[tuple[_KeyPath, int, str]]]:
    try:
        yaml.reader.Reader(text)  # PyYAML's check that every character is printable
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        raise _LoadError(f"YAML error: character {e.character:#x}: {e.reason}", line) from None
    loader = _YamlLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise _LoadError("empty file")
        lines, dups = _yaml_lines(root)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
        kind = (
            "YAML error"
            if isinstance(e, yaml.constructor.ConstructorError)
            else "YAML syntax error"
        )
        if mark is None:
            raise _LoadError(f"{kind}: {what}") from None
        raise _LoadError(f"{kind}: {what} (column {mark.column + 1})", mark.line + 1) from None
    except yaml.YAMLError as e:
        raise _LoadError(f"YAML error: {e}") from None
    except RecursionError:
        raise _LoadError("YAML syntax error: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as e:
        raise _LoadError(f"YAML error: {e}") from None
    finally:
        loader.dispose()
    return data, lines, dups


_LOADERS: dict[str, Callable[[str], tuple[object, _Lines, list[tuple[_KeyPath, int, str]]]]] = {
    "toml": _load_toml,
    "yaml": _load_yaml,
    "json": _load_json,
}


def _format_of(source: str) -> ConfigFormat:
    lower = source.lower()
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    if lower.endswith(".json"):
        return "json"
    return "toml"


CONFIG_FORMATS: tuple[ConfigFormat, ...] = ("toml", "yaml", "json")
_EXTENSIONS: dict[str, ConfigFormat] = {
    ".toml": "toml",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
}


def format_of_path(path: str) -> ConfigFormat | None:
    """The format a config path names by its extension (case-insensitive); None for
    stdin (``-``) and a name without extension (``/dev/fd/63``): detect it from the text.

    Any other extension is refused (an InputError naming the path) rather than guessed.
    """
    if path == "-":
        return None
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    if dot <= 0:  # no extension, or a dot file such as .vmemplan
        return None
    ext = name[dot:].lower()
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    raise InputError(
        path,
        f"unknown extension {name[dot:]!r} (expected .toml, .yaml, .yml or .json); "
        f"give --input-format toml|yaml|json",
    )


_TOML_FIRST = re.compile(r"""\[|[A-Za-z0-9_."'-][A-Za-z0-9_.'" -]*=""")


def detect_format(text: str | bytes) -> ConfigFormat:
    """The format of a config text without a name: its first line that is neither blank
    nor a ``#`` comment decides. ``{`` starts JSON; ``[`` (a table header) or
    ``key = value`` starts TOML; anything else (``key: value``, ``---``, ``- ...``) is YAML."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    for raw in text.removeprefix("\ufeff").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            return "json"
        return "toml" if _TOML_FIRST.match(line) else "yaml"
    return "toml"  # empty: the TOML loader reports it
