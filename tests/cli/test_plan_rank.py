"""``plan`` ranks what no other row beats first, and says what the rank sorts by."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from vmemplan.cli import cli
from vmemplan.plan import RANK_BY

KiB, GiB, TiB = 1 << 10, 1 << 30, 1 << 40


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def rows(*args: str) -> dict[str, dict[str, Any]]:
    r = run("plan", *args, "--json")
    assert r.exit_code == 0, r.stderr
    return {
        f"{row['mode']}/{row['map']}/{row['align_bytes'] // KiB}K": row
        for row in json.loads(r.stdout)["rows"]
    }


def test_a_dominated_row_ranks_below_every_pareto_row() -> None:
    """1 TiB on x86_64, Linux 6.12. fsdax/mem/2M has a struct page per 4K page in DRAM:
    1T / 4K * 64 B = 16 GiB (plus the page tables that map it, the 72 KiB fsdax/dev/2M keeps
    too), and loses 2 MiB of the device (the info block, rounded to the
    align); devdax/mem/2M keeps 2 of the 8 vmemmap pages of each 2M folio (about 4 GiB), loses
    the same and initialises fewer struct pages, so it beats fsdax/mem/2M on every figure.
    fsdax/dev/2M puts the memmap on the device (16 GiB lost) and keeps 72 KiB of page tables
    in DRAM: nothing beats it on DRAM. It used to rank below fsdax/mem/2M, whose DRAM + loss
    sum was 16 GiB + 2 MiB against 16 GiB + 72 KiB."""
    r = rows("--size", "1T")
    mem2m, dev2m, devdax2m = r["fsdax/mem/2048K"], r["fsdax/dev/2048K"], r["devdax/mem/2048K"]
    assert dev2m["dram_bytes"] == 72 * KiB  # page tables only
    assert mem2m["dram_bytes"] - dev2m["dram_bytes"] == TiB // (4 * KiB) * 64 == 16 * GiB
    assert devdax2m["dram_bytes"] < mem2m["dram_bytes"]
    assert devdax2m["lost_bytes"] == mem2m["lost_bytes"]
    assert devdax2m["init_ns_high"] < mem2m["init_ns_high"]
    assert (mem2m["pareto"], dev2m["pareto"]) == (False, True)
    assert dev2m["rank"] < mem2m["rank"]
    pareto = [row["rank"] for row in r.values() if row["pareto"]]
    dominated = [row["rank"] for row in r.values() if not row["pareto"]]
    assert max(pareto) < min(dominated)
    assert sorted(pareto + dominated) == list(range(1, len(r) + 1))


def test_the_recommendation_is_unchanged() -> None:
    """Rank 1 is the least bytes lost, which no row dominates: devdax/mem/1G for 1 TiB."""
    r = rows("--size", "1T")
    assert r["devdax/mem/1048576K"]["rank"] == 1


def test_json_and_text_say_what_the_rank_sorts_by() -> None:
    r = run("plan", "--size", "1T", "--json")
    assert json.loads(r.stdout)["rank_by"] == list(RANK_BY)
    assert RANK_BY[0].startswith("Pareto-optimal first")
    text = run("plan", "--size", "1T").stdout
    assert "rank: Pareto-optimal first (* = no other row beats it on DRAM, loss and init)" in (
        " ".join(text.split())
    )
    assert "then fewest bytes lost (DRAM + device), then shortest init, then larger align" in (
        " ".join(text.split())
    )
