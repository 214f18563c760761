"""check's verdict is the per-namespace estimates summed and held to the budgets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vmemplan.check import check_config
from vmemplan.output.report import check_doc
from vmemplan.sources.config import parse_config_located

GiB = 1 << 30

namespace = st.fixed_dictionaries(
    {
        "size_gib": st.integers(4, 96),  # room for a 1 GiB-aligned dataoff
        "align": st.sampled_from(["4K", "2M", "1G"]),
        "map": st.sampled_from(["mem", "dev"]),
        "mode": st.sampled_from(["devdax", "fsdax"]),
        "dram_ppm": st.one_of(st.none(), st.integers(1, 20_000)),
    }
)


def _toml(namespaces: list[dict[str, object]], total_dram_mib: int | None) -> str:
    lines = []
    if total_dram_mib is not None:
        lines += ["[budgets]", f'dram = "{total_dram_mib}M"']
    start = 64 * GiB
    for i, ns in enumerate(namespaces):
        lines += [
            "[[namespaces]]",
            f'name = "ns{i}"',
            f'size = "{ns["size_gib"]}G"',
            f'start = "{start // GiB}G"',
            f'align = "{ns["align"]}"',
            f'map = "{ns["map"]}"',
            f'mode = "{ns["mode"]}"',
        ]
        if ns["dram_ppm"] is not None:
            ppm = int(str(ns["dram_ppm"]))
            lines += ["[namespaces.budgets]", f'dram = "{ppm // 10_000}.{ppm % 10_000:04d}%"']
        start += (int(str(ns["size_gib"])) + 1) * GiB
    return "\n".join(lines) + "\n"


@settings(max_examples=60)
@given(st.lists(namespace, min_size=1, max_size=4), st.one_of(st.none(), st.integers(1, 4096)))
def test_verdict_is_the_sum_of_the_namespaces(
    namespaces: list[dict[str, object]], total_dram_mib: int | None
) -> None:
    text = _toml(namespaces, total_dram_mib)
    cfg, line_of = parse_config_located(text, "host.toml")
    result = check_config(cfg, "host.toml", line_of)
    doc = check_doc([result])
    assert result.status in ("pass", "fail"), doc["findings"]
    (f,) = doc["files"]
    docs = f["devices"]
    assert f["total"]["dram_bytes"] == sum(d["dram_bytes"] for d in docs)
    assert f["total"]["lost_bytes"] == sum(d["lost_bytes"] for d in docs)
    assert doc["total"]["dram_bytes"] == f["total"]["dram_bytes"]  # the one file
    expected_fail = set()
    for i, (ns, d) in enumerate(zip(namespaces, docs, strict=True)):
        if ns["dram_ppm"] is not None:
            limit = d["capacity_bytes"] * int(str(ns["dram_ppm"])) // 10**6
            if d["dram_bytes"] > limit:
                expected_fail.add(f"namespaces[{i}].budgets.dram")
    if total_dram_mib is not None and f["total"]["dram_bytes"] > total_dram_mib << 20:
        expected_fail.add("budgets.dram")
    assert {x["location"] for x in doc["findings"]} == expected_fail
    assert result.status == ("fail" if expected_fail else "pass")


@settings(max_examples=40)
@given(st.lists(namespace, min_size=1, max_size=4))
def test_check_estimates_as_estimate_many_does(namespaces: list[dict[str, object]]) -> None:
    # check hands estimate_many() the pgmaps it prepared to place the namespaces; the
    # estimates must be those estimate_many() computes from the requests alone
    from vmemplan.estimate import estimate_many  # noqa: PLC0415
    from vmemplan.sources.config.host import base_request, namespace_request  # noqa: PLC0415

    cfg, line_of = parse_config_located(_toml(namespaces, None), "host.toml")
    result = check_config(cfg, "host.toml", line_of)
    base = base_request(cfg)
    requests = [namespace_request(base, ns, 0) for ns in cfg.namespaces]  # every start given
    assert result.estimates == estimate_many(requests)
