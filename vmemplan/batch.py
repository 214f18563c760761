"""``estimate --batch``: one geometry per line, as a JSON object or as the command line's flags.

Pure: the CLI hands in the table of options a line may give (built from the estimate
command's own options, so the two spellings cannot drift apart) and gets back, per line,
the options that line gives; it builds the request from them. Errors are InputErrors
naming the option, key or token at fault; the CLI adds the line number.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from vmemplan.errors import InputError


class LineOption(NamedTuple):
    """One option a batch line may give."""

    name: str  # the parameter's name (``map_``, ``dax_ranges``): the request builder's keyword
    multiple: bool  # repeatable: a line's values replace the command line's, never add to them
    flag: bool | None  # a boolean flag: the value this spelling sets; None: it takes a value


def geometry_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of every line but blank ones and ``#`` comments (1-based)."""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, stripped


def parse_line(
    line: str, flags: Mapping[str, LineOption], keys: Mapping[str, LineOption]
) -> dict[str, Any]:
    """The options one line gives: parameter name -> the string (or tuple, or bool) value.

    ``flags`` maps every spelling (``--size``, ``-s``, ``--no-early-init-fix``) and
    ``keys`` every JSON key (the long option name without dashes: ``size``,
    ``vmemmap-shift``) to its option.
    """
    if line[:1] in ("{", "["):  # JSON (an array is refused there); flags start with a dash
        return _parse_json(line, keys)
    return _parse_flags(line, flags)


def _tokens(line: str) -> list[str]:
    if not any(c in line for c in "'\"\\#"):
        return line.split()  # the common case, without shlex's cost
    try:
        return shlex.split(line, comments=True)
    except ValueError as err:
        raise InputError("--batch", f"{line!r}: {err}") from None


def _parse_flags(line: str, flags: Mapping[str, LineOption]) -> dict[str, Any]:
    given: dict[str, Any] = {}
    tokens = _tokens(line)
    i = 0
    while i < len(tokens):
        token, value = tokens[i], None
        i += 1
        if token.startswith("--") and "=" in token:
            token, value = token.split("=", 1)
        elif not token.startswith("--") and token not in flags and token[:2] in flags:
            token, value = token[:2], token[2:]  # -s1T, as click reads it
        opt = flags.get(token)
        if opt is None:
            what = "not an option of a batch line" if token.startswith("-") else "not an option"
            raise InputError(token, what)
        if opt.flag is not None:
            if value is not None:
                raise InputError(token, f"{value!r}: the flag takes no value")
            given[opt.name] = opt.flag
            continue
        if value is None:
            if i == len(tokens):
                raise InputError(token, "needs a value")
            value = tokens[i]
            i += 1
        given[opt.name] = (*given.get(opt.name, ()), value) if opt.multiple else value
    return given


def _parse_json(line: str, keys: Mapping[str, LineOption]) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except ValueError as err:
        raise InputError("--batch", f"not a JSON object: {err}") from None
    if not isinstance(obj, dict):
        raise InputError("--batch", "not a JSON object")
    given: dict[str, Any] = {}
    for key, value in obj.items():
        opt = keys.get(key)
        if opt is None:
            dashed = key.replace("_", "-")
            hint = f" (did you mean {dashed!r}?)" if dashed in keys else ""
            raise InputError(repr(key), f"not an option of estimate{hint}")
        if opt.flag is not None:
            if not isinstance(value, bool):
                raise InputError(repr(key), f"{json.dumps(value)}: expected true or false")
            given[opt.name] = value
        elif opt.multiple:
            values = value if isinstance(value, list) else [value]
            given[opt.name] = tuple(_scalar(key, v) for v in values)
        else:
            given[opt.name] = _scalar(key, value)
    return given


def _scalar(key: str, value: object) -> str:
    """A JSON value as the option's text: strings as they are, integers in decimal."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InputError(repr(key), f"{json.dumps(value)}: expected a string or an integer")
