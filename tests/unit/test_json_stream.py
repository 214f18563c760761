"""``write_json()`` writes, piece by piece, exactly what ``to_json()`` prints."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vmemplan.output.report import to_json
from vmemplan.output.stream import Lazy, Shared, write_json

_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats()
# Containers of scalars only are encoded by the C encoder, the others in Python: the
# strategy mixes both at every depth, with tuples and ``Shared`` dicts (encoded once per
# indent) among them.
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4).map(Shared)
    ),
    max_leaves=25,
)


def _lazy(value: Any, draw_lazy: list[bool]) -> Any:
    """``value`` with some of its lists made ``Lazy`` (``draw_lazy`` decides which)."""
    if isinstance(value, dict):
        return {k: _lazy(v, draw_lazy) for k, v in value.items()}
    if isinstance(value, list):
        items = [_lazy(v, draw_lazy) for v in value]
        if draw_lazy and draw_lazy.pop():
            return Lazy(iter([_plain(i) for i in items]))
        return items
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Lazy):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _written(doc: Any) -> str:
    out: list[str] = []
    write_json(doc, out.append)
    return "".join(out)


@given(_JSON, st.lists(st.booleans(), max_size=30))
def test_streamed_equals_dumped(doc: Any, which: list[bool]) -> None:
    assert _written(_lazy(doc, list(which))) == to_json(doc)


_EXAMPLES = [
    {"files": [{"file": "a", "namespaces": []}]},
    {"files": [{"namespaces": [{"x": [1, {"y": "z\n\u2028"}]}, {}]}], "e": {}},
    [1, [], {}],
    {"a": {}, "b": [], "c": [[{"d": None}]]},
    {"keys": {1: "int", 2.5: [None], False: {}, None: 0}, "float": [1e300, -0.0, float("inf")]},
    {"same": [Shared({"k": [1, "a,\n{"]}), Shared({"k": {"x": [True]}})], "tail": "}"},
]


def _lazy_lists(value: Any) -> Any:
    """``value`` with every list ``Lazy`` (its items stay plain: a Lazy list's items are
    ordinary documents)."""
    if isinstance(value, dict):
        return {k: _lazy_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return Lazy(iter(value))
    return value


@pytest.mark.parametrize("doc", _EXAMPLES)
def test_streamed_examples(doc: Any) -> None:
    assert _written(_lazy_lists(doc)) == to_json(doc)
    assert _written(doc) == to_json(doc)


def test_a_shared_document_is_encoded_once_per_indent() -> None:
    shared = Shared({"kernel": {"version": "6.12", "switches": [1, 2]}})
    doc = {"a": [{"k": shared}, {"k": shared}], "b": {"c": {"d": {"k": shared}}}}
    assert _written(doc) == to_json(doc)
    # its text at the two indents it was written at, kept for the next document
    assert sorted(len(pad) for pad in shared._text) == [7, 9]
    assert _written(doc) == to_json(doc)


def test_a_lazy_list_is_consumed_as_it_is_written() -> None:
    seen: list[int] = []

    def items() -> Any:
        for i in range(3):
            seen.append(i)
            yield {"i": i}

    pieces: list[str] = []
    write_json({"namespaces": Lazy(items())}, pieces.append)
    assert seen == [0, 1, 2]
    assert "".join(pieces) == to_json({"namespaces": [{"i": 0}, {"i": 1}, {"i": 2}]})
