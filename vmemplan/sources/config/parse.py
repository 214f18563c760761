"""``parse_config()``: load a file, validate it, and turn every mistake into a ``Problem``."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from vmemplan.excerpt import key_excerpt, safe_line
from vmemplan.sources.config.loaders import _LOADERS, ConfigFormat, _decode, _format_of, _LoadError
from vmemplan.sources.config.locations import _KeyPath, _Lines, _location, _parse_location
from vmemplan.sources.config.model import (
    _EXCLUSIVE_KEYS,
    _FILE_CONTEXT,
    _MODELS,
    _POOL_UNBUDGETED,
    ConfigFile,
    _duplicate_names,
    _duplicate_pools,
    _hugetlb_conflicts,
    _namespace_conflicts,
)
from vmemplan.sources.config.problems import (
    _FILE,
    ConfigError,
    Problem,
    _brief,
    _one_line,
    unlisted,
)
from vmemplan.sources.config.values import _to_size

# The problems of one file that are listed; the rest are counted ("and 9,950 more").
MAX_PROBLEMS = 50
# The longest message of one problem (characters): a syntax error may quote the file.
_MESSAGE_LIMIT = 240
# Keys longer than this get no "did you mean" (difflib's cost grows with the key).
_MAX_SUGGEST = 64


def _model_at(path: _KeyPath) -> type[BaseModel] | None:
    shape = tuple("[]" if isinstance(p, int) else p for p in path)
    return _MODELS.get(shape)


_WORDS = {
    "toml": ("a table", "an array"),
    "yaml": ("a mapping", "a list"),
    "json": ("an object", "an array"),
}


def _translate(err: ErrorDetails, fmt: ConfigFormat, suggest: bool = True) -> tuple[_KeyPath, str]:
    """A pydantic error as (path, human message); ``suggest``: look for a close key name
    for an unknown key (difflib: worth it only for the problems that are listed)."""
    loc: _KeyPath = tuple(err["loc"])
    kind: str = err["type"]
    value = err.get("input")
    table, array = _WORDS[fmt]
    if kind in ("vmemplan_value", "vmemplan_conflict"):
        return loc, str(err["msg"])
    if kind == "extra_forbidden" and loc:
        key = loc[-1]
        message = f"unknown key {key_excerpt(key) if isinstance(key, str) else _brief(key)}"
        model = _model_at(loc[:-1])
        if model is not None and isinstance(key, str) and suggest and len(key) <= _MAX_SUGGEST:
            close = difflib.get_close_matches(key, list(model.model_fields), n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
        return loc, message
    if kind == "missing" and loc:
        return loc[:-1], f"missing key {loc[-1]!r}"
    if kind == "invalid_key" and loc:
        return loc[:-1], f"keys must be strings, got {_brief(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return loc, f"expected {table}, got {_brief(value)}"
    if kind in ("tuple_type", "list_type", "iterable_type"):
        return loc, f"expected {array}, got {_brief(value)}"
    if kind == "too_short":
        return loc, "must not be empty"
    return loc, f"{err['msg']}, got {_brief(value)}"


def _has_item_errors(loc: Sequence[object], errors: Sequence[ErrorDetails]) -> bool:
    n = len(loc)
    return any(len(e["loc"]) > n and tuple(e["loc"][:n]) == tuple(loc) for e in errors)


_NOTHING_TO_CHECK = (
    "nothing to estimate: give at least one [[namespaces]] entry or [[hugetlb]] pool"
)


def _raw_conflicts(data: dict[Any, Any]) -> list[tuple[_KeyPath, str]]:
    """The key conflicts, found on the raw document so that all of them are reported."""
    out: list[tuple[_KeyPath, str]] = _raw_pool_conflicts(data.get("hugetlb"))
    namespaces = data.get("namespaces")
    if namespaces in (None, []) and data.get("hugetlb") in (None, []):
        where: _KeyPath = () if namespaces is None else ("namespaces",)
        out.append((where, _NOTHING_TO_CHECK))
    if not isinstance(namespaces, list):
        return out
    for i, entry in enumerate(namespaces):
        if isinstance(entry, dict):
            given = {k for k in _EXCLUSIVE_KEYS if entry.get(k) is not None}
            mode = entry.get("mode")
            system_ram = isinstance(mode, str) and mode.strip().lower() == "system-ram"
            for key, message in _namespace_conflicts(given, system_ram=system_ram):
                out.append((("namespaces", i) if key is None else ("namespaces", i, key), message))
    names = [e.get("name") if isinstance(e, dict) else None for e in namespaces]
    for i, message in _duplicate_names(names):
        out.append((("namespaces", i, "name"), message))
    return out


def _raw_pool_conflicts(pools: object) -> list[tuple[_KeyPath, str]]:
    """The ``[[hugetlb]]`` conflicts: budgets a pool cannot have, pools given twice."""
    out: list[tuple[_KeyPath, str]] = []
    if not isinstance(pools, list):
        return out
    keys: list[tuple[object, object, object]] = []
    for i, entry in enumerate(pools):
        if not isinstance(entry, dict):
            keys.append((object(), i, None))
            continue
        budgets = entry.get("budgets")
        if isinstance(budgets, dict):
            given = {k for k in _POOL_UNBUDGETED if budgets.get(k) is not None}
            for key, message in _hugetlb_conflicts(given):
                out.append((("hugetlb", i, "budgets", key), message))
        try:
            size: object = _to_size(entry.get("page_size"))
        except ValueError:  # a bad value: the model reports it
            size = object()
        keys.append((size, entry.get("node"), entry.get("on")))
    for i, message in _duplicate_pools(keys):
        out.append((("hugetlb", i), message))
    return out


def parse_config(text: str | bytes, source: str, fmt: ConfigFormat | None = None) -> ConfigFile:
    """Parse a host config file; raise ConfigError with every problem it has.

    ``source`` names the file in the messages; ``fmt`` None picks the format from its
    extension (``.toml``, ``.yaml``/``.yml``, ``.json``), TOML otherwise.
    """
    return _parse(text, source, fmt)[0]


def parse_config_located(
    text: str | bytes, source: str, fmt: ConfigFormat | None = None
) -> tuple[ConfigFile, Callable[[str], int | None]]:
    """``parse_config()``, plus ``line_of(location)``: the line of a location such as
    ``namespaces[1].budgets.dram`` in the file, or None when it cannot be found exactly
    (``(file)``, a key the file leaves out). For findings about a valid config."""
    config, lines = _parse(text, source, fmt)

    def line_of(location: str) -> int | None:
        path = _parse_location(location)
        return None if path is None else lines.line(path)

    return config, line_of


def _parse(text: str | bytes, source: str, fmt: ConfigFormat | None) -> tuple[ConfigFile, _Lines]:
    fmt = fmt or _format_of(source)
    try:
        data, lines, dups = _LOADERS[fmt](_decode(text))
    except _LoadError as e:
        raise ConfigError([Problem(source, _FILE, e.line, _one_line(e.message))]) from None
    if not isinstance(data, dict):
        table = _WORDS[fmt][0]
        raise ConfigError(
            [Problem(source, _FILE, None, f"the top level must be {table}, got {_brief(data)}")]
        )

    found: list[tuple[_KeyPath, int | None, str]] = [(p, line, m) for p, line, m in dups]
    conflicts = _raw_conflicts(data)
    found += [(p, lines.line(p), m) for p, m in conflicts]
    config: ConfigFile | None = None
    try:
        config = ConfigFile.model_validate(data, context={_FILE_CONTEXT: True})
    except ValidationError as e:
        errors = e.errors(include_url=False)
        for err in errors:
            if err["type"] == "vmemplan_conflict" and conflicts:
                continue  # already reported, with the offending key, by _raw_conflicts
            if err["type"] == "too_short" and _has_item_errors(err["loc"], errors):
                continue  # pydantic counts only the items that validated
            path, message = _translate(err, fmt, suggest=len(found) < MAX_PROBLEMS)
            found.append((path, lines.line(path), message))
    except RecursionError:
        found.append(((), None, "nested too deeply"))
    if config is not None and not found:
        return config, lines
    if not found:  # pragma: no cover - a model error that translated to nothing
        found.append(((), None, "invalid configuration"))

    # dict.fromkeys: the distinct problems in the order found, in one pass
    problems = list(
        dict.fromkeys(
            Problem(source, _location(path), line, safe_line(_one_line(message), _MESSAGE_LIMIT))
            for path, line, message in found
        )
    )
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    if len(problems) <= MAX_PROBLEMS:
        raise ConfigError(problems)
    more = len(problems) - MAX_PROBLEMS
    listed = [*problems[:MAX_PROBLEMS], Problem(source, _FILE, None, unlisted(more))]
    raise ConfigError(listed, nr_unlisted=more)
