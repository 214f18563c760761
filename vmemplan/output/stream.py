"""Writing one large JSON document piecewise, byte for byte what ``to_json()`` prints.

``check --json`` of 100,000 namespaces is ~600 MB of JSON: built as one object and
dumped once, it needs several times that in memory. Here a list may be ``Lazy``: an
iterable whose items are made, encoded and written one at a time. Everything else is
encoded by ``json.dumps(indent=2)`` and re-indented, so the text is the same document
``json.dumps(doc, indent=2) + "\\n"`` would give (a test compares the two), still one
valid JSON document, in the contract's key order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring_ascii as _string
from typing import Any

_INDENT = "  "
# Writes per chunk: one write() per ~this many characters.
_CHUNK = 1 << 16


class Lazy:
    """A JSON array whose items come from ``items`` as the document is written."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)


def _encode(value: Any, pad: str, out: list[str]) -> None:
    """Append ``value``'s text, as ``json.dumps(value, indent=2)`` writes it at ``pad``.

    The standard library encodes with an indent in pure Python, one generator per
    container (its C encoder has no indent): this plain recursion over the same rules
    (``ensure_ascii`` strings, ``int``/``float`` reprs, ``null``/``true``/``false``) is
    about three times faster, which is most of ``check --json``'s time at 100,000
    namespaces."""
    kind = type(value)
    if kind is str:
        out.append(_string(value))
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is dict and all(type(k) is str for k in value):
        if not value:
            out.append("{}")
            return
        inner = pad + _INDENT
        sep = "{" + inner
        for key, item in value.items():
            out.append(sep + _string(key) + ": ")
            _encode(item, inner, out)
            sep = "," + inner
        out.append(pad + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = pad + _INDENT
        sep = "[" + inner
        for item in value:
            out.append(sep)
            _encode(item, inner, out)
            sep = "," + inner
        out.append(pad + "]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    else:  # a float, a subclass, a dict with keys that are not str: the standard encoder
        out.append(json.dumps(value, indent=2).replace("\n", pad))


def _dumps(value: Any, pad: str) -> str:
    out: list[str] = []
    _encode(value, pad, out)
    return "".join(out)


def _has_lazy(value: Any) -> bool:
    """Whether a ``Lazy`` list is somewhere in ``value`` (not looking inside one)."""
    if isinstance(value, Lazy):
        return True
    if isinstance(value, dict):
        return any(_has_lazy(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_lazy(v) for v in value)
    return False


def _pieces(value: Any, level: int) -> Iterator[str]:
    """The text of ``value`` at nesting ``level``: a container holding a ``Lazy`` list is
    written member by member, anything else (a ``Lazy`` list's items too) in one piece."""
    pad = "\n" + _INDENT * level
    if isinstance(value, Lazy | list | tuple) and _has_lazy(value):
        first = True
        for item in value:
            yield ("[" if first else ",") + pad + _INDENT
            if isinstance(value, Lazy):
                yield _dumps(item, pad + _INDENT)
            else:
                yield from _pieces(item, level + 1)
            first = False
        yield "[]" if first else pad + "]"
    elif isinstance(value, dict) and value and _has_lazy(value):
        first = True
        for key, item in value.items():
            yield ("{" if first else ",") + pad + _INDENT + json.dumps(key) + ": "
            yield from _pieces(item, level + 1)
            first = False
        yield pad + "}"
    else:
        yield _dumps(value, pad)


def write_json(doc: Any, write: Callable[[str], object]) -> None:
    """Write ``doc`` (with ``Lazy`` lists anywhere) as ``to_json()`` would print it."""
    buffer: list[str] = []
    size = 0
    for piece in _pieces(doc, 0):
        buffer.append(piece)
        size += len(piece)
        if size >= _CHUNK:
            write("".join(buffer))
            buffer.clear()
            size = 0
    buffer.append("\n")
    write("".join(buffer))
