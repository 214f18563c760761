"""Writing one large JSON document piecewise, byte for byte what ``to_json()`` prints.

``check --json`` of 100,000 namespaces is ~600 MB of JSON: built as one object and
dumped once, it needs several times that in memory. Here a list may be ``Lazy``: an
iterable whose items are made, encoded and written one at a time. Everything else is
encoded by the rules of ``json.dumps(indent=2)`` (see ``_encode()``: the standard
library's C encoder for every container of scalars), so the text is the same document
``json.dumps(doc, indent=2) + "\\n"`` would give (a test compares the two, for random
documents), still one valid JSON document, in the contract's key order.
"""

from __future__ import annotations

import json
from _json import make_encoder
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


class Shared(dict):  # type: ignore[type-arg]
    """A sub-document that many documents embed unchanged (``kernel_doc()``: the same
    for every namespace of a file): its text at each indent is encoded once, then reused.

    A plain ``dict`` to every other reader. Whoever builds one must never change it.
    """

    __slots__ = ("_text",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._text: dict[str, str] = {}


_SCALARS = frozenset({str, int, float, bool, type(None)})
_STR = frozenset({str})
# The text before each value of a dict of containers, by its keys and indent: documents
# of one kind have the same few key sets (bounded: a cache, not a record of every dict).
_HEADS: dict[tuple[tuple[str, ...], str], list[str]] = {}
_HEADS_MAX = 1024
_DEFAULT = json.JSONEncoder().default  # what json.dumps raises for what it cannot encode
# One C encoder per indent (``pad``: a newline and the indent of the container's items):
# a container of scalars only is one call, its items already separated by ``,`` + pad.
_FLAT: dict[str, make_encoder] = {}


def _flat(pad: str) -> make_encoder:
    enc = _FLAT.get(pad)
    if enc is None:
        # json.encoder's C encoder (``c_make_encoder``), given what JSONEncoder.iterencode
        # gives it: no circular check, ensure_ascii strings, allow_nan, keys unsorted
        enc = _FLAT[pad] = make_encoder(
            None, _DEFAULT, _string, None, ": ", "," + pad, False, False, True
        )
    return enc


def _encode(value: Any, pad: str, out: list[str]) -> None:
    """Append ``value``'s text, as ``json.dumps(value, indent=2)`` writes it at ``pad``.

    The standard library encodes with an indent in pure Python, one generator per
    container (its C encoder has no indent). Here a container holding only scalars (most
    of a namespace's document) is encoded by that C encoder, given ``,`` and the next
    line's indent as its item separator; a container of containers is walked in Python
    by the same rules (``ensure_ascii`` strings, ``int``/``float`` reprs,
    ``null``/``true``/``false``), and a ``Shared`` one is encoded once per indent. A
    test compares the result with ``json.dumps(indent=2)``."""
    kind = type(value)
    if kind is str:
        out.append(_string(value))
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is dict or kind is Shared:
        if not value:
            out.append("{}")
            return
        inner = pad + _INDENT
        if _SCALARS.issuperset(map(type, value.values())):  # keys: as the C encoder does
            text = "".join(_flat(inner)(value, 0))
            out.append("{" + inner + text[1:-1] + pad + "}")
            return
        if kind is Shared:
            text = value._text.get(pad)
            if text is None:
                text = value._text[pad] = _dumps(dict(value), pad)
            out.append(text)
            return
        keys = tuple(value)
        heads = _HEADS.get((keys, pad))
        if heads is None:
            if not _STR.issuperset(map(type, keys)):
                out.append(json.dumps(value, indent=2).replace("\n", pad))
                return
            if len(_HEADS) >= _HEADS_MAX:
                _HEADS.clear()
            heads = _HEADS[keys, pad] = [
                ("," if i else "{") + inner + _string(key) + ": " for i, key in enumerate(keys)
            ]
        for head, item in zip(heads, value.values(), strict=True):
            t = type(item)  # the usual scalars here, not in a call each
            if t is int:
                out.append(head + int.__repr__(item))
            elif t is str:
                out.append(head + _string(item))
            elif item is None:
                out.append(head + "null")
            else:
                out.append(head)
                _encode(item, inner, out)
        out.append(pad + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = pad + _INDENT
        if _SCALARS.issuperset(map(type, value)):
            text = "".join(_flat(inner)(value, 0))
            out.append("[" + inner + text[1:-1] + pad + "]")
            return
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
    else:  # a float, a subclass: the standard encoder
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


def _key(key: Any) -> str:
    """A dict key as json.dumps writes it (an int, float, bool or None key as a string)."""
    return _string(key) if type(key) is str else json.dumps({key: 0})[1:-4]


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
            yield ("{" if first else ",") + pad + _INDENT + _key(key) + ": "
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
