"""``estimate --batch``: one geometry per line, as a JSON object or as the command line's flags.

Pure: the CLI hands in the table of options a line may give (built from the estimate
command's own options, so the two spellings cannot drift apart) and gets back, per line,
the options that line gives; it builds the request from them. Errors are InputErrors
naming the option, key or token at fault; the CLI adds the line number.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from vmemplan.errors import InputError
from vmemplan.excerpt import excerpt, quoted


class LineOption(NamedTuple):
    """One option a batch line may give."""

    name: str  # the parameter's name (``map_``, ``dax_ranges``): the request builder's keyword
    multiple: bool  # repeatable: a line's values replace the command line's, never add to them
    flag: bool | None  # a boolean flag: the value this spelling sets; None: it takes a value


# The longest line a batch reads (a line is one geometry: 4 MiB is some 200,000 ranges).
MAX_LINE_BYTES = 4 << 20
# What one read takes from the input: a batch holds no more than this, and the line it is
# in, whatever the size of the file.
READ_BYTES = 64 << 10
_BOM = b"\xef\xbb\xbf"


class BatchLine(NamedTuple):
    """One geometry line: its number as an editor shows it (1-based), text or error."""

    number: int
    text: str  # stripped; "" when ``error`` is set
    error: InputError | None


def geometry_lines(
    read: Callable[[int], bytes], before_read: Callable[[], None] = lambda: None
) -> Iterator[BatchLine]:
    """Every line of the input but blank ones and ``#`` comments, read as it comes.

    ``read(n)`` returns up to n bytes (b"" at the end), as ``BufferedReader.read1`` does;
    ``before_read`` is called before each read, which may block (the caller writes out what
    it has, so a pipe fed line by line is answered line by line). Lines end at LF only, as
    an editor counts them: a CR inside a line is blank space and does not start a new one;
    a UTF-8 byte order mark before line 1 is skipped. Memory: one read and one line.

    Input that is not a geometry file ends the batch with one error line: a line longer
    than MAX_LINE_BYTES (``/dev/zero`` would be one endless line) or a NUL byte (binary
    data, ``/dev/urandom``); the lines before it are answered.
    """
    number = 0
    parts: list[bytes] = []  # the current line's bytes so far
    size = 0  # their length
    while True:
        before_read()
        chunk = read(READ_BYTES)
        nul = chunk.find(b"\0")
        data = chunk if nul < 0 else chunk[:nul]
        pos = 0
        while (end := data.find(b"\n", pos)) >= 0:
            number += 1
            if size + end - pos > MAX_LINE_BYTES:
                yield _stop(number, f"line longer than {MAX_LINE_BYTES >> 20} MiB")
                return
            parts.append(data[pos:end])
            line = _line(number, b"".join(parts))
            if line is not None:
                yield line
            parts, size = [], 0
            pos = end + 1
        parts.append(data[pos:])
        size += len(data) - pos
        if size > MAX_LINE_BYTES:
            yield _stop(number + 1, f"line longer than {MAX_LINE_BYTES >> 20} MiB")
            return
        if nul >= 0:
            yield _stop(number + 1, "binary data (a NUL byte)")
            return
        if not chunk:
            line = _line(number + 1, b"".join(parts)) if size else None
            if line is not None:
                yield line
            return


def _stop(number: int, why: str) -> BatchLine:
    error = InputError("--batch", f"{why}: not a geometry file, the batch stops here")
    return BatchLine(number, "", error)


def _line(number: int, raw: bytes) -> BatchLine | None:
    if number == 1 and raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    text = raw.decode("utf-8", errors="replace").strip()
    if not text or text.startswith("#"):
        return None
    return BatchLine(number, text, None)


def parse_line(
    line: str,
    flags: Mapping[str, LineOption],
    keys: Mapping[str, LineOption],
    option: str = "--batch",
) -> dict[str, Any]:
    """The options one line gives: parameter name -> the string (or tuple, or bool) value.

    ``flags`` maps every spelling (``--size``, ``-s``, ``--no-early-init-fix``) and
    ``keys`` every JSON key (the long option name without dashes: ``size``,
    ``vmemmap-shift``) to its option. ``option``: what errors about the line as a whole
    name (``--batch``, or ``host --device`` whose value is such a line).
    """
    if line[:1] in ("{", "["):  # JSON (an array is refused there); flags start with a dash
        return _parse_json(line, keys, option)
    return _parse_flags(line, flags, option)


def _tokens(line: str, option: str) -> list[str]:
    if not any(c in line for c in "'\"\\#"):
        return line.split()  # the common case, without shlex's cost
    try:
        return shlex.split(line, comments=True)
    except ValueError as err:
        raise InputError(option, f"{quoted(line)}: {err}") from None


def _parse_flags(line: str, flags: Mapping[str, LineOption], option: str) -> dict[str, Any]:
    given: dict[str, Any] = {}
    many: dict[str, list[str]] = {}  # a repeatable option's values, in order
    tokens = _tokens(line, option)
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
            of = "a batch line" if option == "--batch" else option
            what = f"not an option of {of}" if token.startswith("-") else "not an option"
            raise InputError(excerpt(token), what)
        if opt.flag is not None:
            if value is not None:
                raise InputError(token, f"{quoted(value)}: the flag takes no value")
            given[opt.name] = opt.flag
            continue
        if value is None:
            if i == len(tokens):
                raise InputError(token, "needs a value")
            value = tokens[i]
            i += 1
        if opt.multiple:
            many.setdefault(opt.name, []).append(value)
        else:
            given[opt.name] = value
    given.update((name, tuple(values)) for name, values in many.items())
    return given


def _parse_json(line: str, keys: Mapping[str, LineOption], option: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except RecursionError:
        raise InputError(option, "not a JSON object: nested too deeply") from None
    except ValueError as err:
        raise InputError(option, f"not a JSON object: {err}") from None
    if not isinstance(obj, dict):
        raise InputError(option, "not a JSON object")
    given: dict[str, Any] = {}
    for key, value in obj.items():
        opt = keys.get(key)
        if opt is None:
            dashed = key.replace("_", "-")
            hint = f" (did you mean {dashed!r}?)" if dashed in keys else ""
            raise InputError(quoted(key), f"not an option of estimate{hint}")
        if opt.flag is not None:
            if not isinstance(value, bool):
                raise InputError(
                    quoted(key), f"{excerpt(json.dumps(value))}: expected true or false"
                )
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
    raise InputError(quoted(key), f"{excerpt(json.dumps(value))}: expected a string or an integer")
