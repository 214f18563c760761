"""The committed JSON Schemas are the ones the models generate (refresh: see below)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vmemplan.cli.schema import SCHEMA_KINDS
from vmemplan.output.schema import json_schema

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
KINDS = list(SCHEMA_KINDS)  # what `vmemplan schema` offers: each one is committed


@pytest.mark.parametrize("kind", KINDS)
def test_committed_schema_is_current(kind: str) -> None:
    """If this fails, run: for w in $(python -c "from vmemplan.cli.schema import SCHEMA_KINDS;
    print(*SCHEMA_KINDS)"); do vmemplan schema $w > schemas/$w.schema.json; done (and review
    the diff)."""
    assert (SCHEMAS / f"{kind}.schema.json").read_text() == json_schema(kind)


def test_every_schema_is_committed() -> None:
    assert sorted(p.name for p in SCHEMAS.glob("*.schema.json")) == sorted(
        f"{k}.schema.json" for k in KINDS
    )
