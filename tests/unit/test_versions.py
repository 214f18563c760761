"""The version table: X.Y, X.Y.Z and uname -r resolve to the switches that kernel has.

Each stable boundary is checked on both sides: the release before the one that carries a
change, and that release. The boundaries come from the stable review mails and queue
pushes cited in vmemplan/kernel/versions.py (and the spec's corrections.md), not from
running vmemplan.
"""

from __future__ import annotations

import pytest

from vmemplan.errors import InputError
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.versions import (
    SWITCH_NAMES,
    KernelProfile,
    kernel_profile,
    parse_kernel_release,
    parse_kernel_switch,
    require_zone_device,
    with_overrides,
    with_switches,
)

ARM64 = ARCHES["arm64-4k"]
X86 = ARCHES["x86_64"]


def profile(text: str) -> KernelProfile:
    return kernel_profile(parse_kernel_release(text))


@pytest.mark.parametrize(
    ("text", "sublevel", "extra", "label"),
    [
        ("6.12", None, "", "6.12"),
        ("6.12.0", 0, "", "6.12.0"),
        ("6.12.118", 118, "", "6.12.118"),
        ("v6.14-rc3", None, "", "6.14-rc3"),
        ("5.14.0-427.el9.x86_64", 0, "-427.el9.x86_64", "5.14.0"),
        ("6.12.118-1-arm64", 118, "-1-arm64", "6.12.118"),
        ("6.8.0-49-generic", 0, "-49-generic", "6.8.0"),
        ("6.12.48+deb13-amd64", 48, "+deb13-amd64", "6.12.48"),
        (" 6.6.84 ", 84, "", "6.6.84"),
    ],
)
def test_release_strings(text: str, sublevel: int | None, extra: str, label: str) -> None:
    rel = parse_kernel_release(text)
    assert (rel.sublevel, rel.extra, rel.label) == (sublevel, extra, label)


@pytest.mark.parametrize(
    "text", ["6", "six.twelve", "6.12 extra", "3.10.0-1160.el7", "6.99", "100.1"]
)
def test_bad_release_strings_are_input_errors(text: str) -> None:
    with pytest.raises(InputError, match="--kernel"):
        parse_kernel_release(text)


# d4234d131b0a: v6.14; stable 6.13.8, 6.12.20, 6.6.84, 6.1.132 (review mails of March 2025).
@pytest.mark.parametrize(
    ("before", "carries"),
    [("6.13.7", "6.13.8"), ("6.12.19", "6.12.20"), ("6.6.83", "6.6.84"), ("6.1.131", "6.1.132")],
)
def test_arm64_partial_section_fix_stable_boundaries(before: str, carries: str) -> None:
    assert profile(before).arm64_subsection_basepages is False
    assert profile(carries).arm64_subsection_basepages is True


def test_arm64_partial_section_fix_mainline() -> None:
    assert profile("6.13").arm64_subsection_basepages is False
    assert profile("6.14").arm64_subsection_basepages is True
    # the Debian kernel: 6.12.118 carries it
    assert profile("6.12.118-1-arm64").arm64_subsection_basepages is True


def test_arm64_partial_section_fix_unknown_on_5_15_says_so() -> None:
    p = profile("5.15.180")
    assert p.arm64_subsection_basepages is False
    notes = p.notes_for(ARM64)
    assert any("d4234d131b0a" in n and "not known" in n for n in notes), notes
    # the note is about an arm64 rule: an x86 estimate does not carry it
    assert not any("d4234d131b0a" in n for n in p.notes_for(X86))


# 87a7ae75d738: v6.4-rc1 (spec corrections.md item 1); queued for 6.3 stable 2023-05-26
# (6.3.5, assumed); 6.1.y only with the 2026 backport (6.1.184, assumed).
@pytest.mark.parametrize(
    ("before", "carries"), [("6.3.4", "6.3.5"), ("6.1.183", "6.1.184"), ("6.3", "6.4")]
)
def test_vmemmap_can_optimize_gate_boundaries(before: str, carries: str) -> None:
    assert profile(before).optimize_rule == "nr_gt_1"
    assert profile(carries).optimize_rule == "nr_gt_1_hvo_gated"
    # arm64 never selected the HugeTLB vmemmap Kconfig then: the gate switches dedup off
    assert profile(before).arch_can_dedup(ARM64) is True
    assert profile(carries).arch_can_dedup(ARM64) is False


def test_assumed_stable_release_leaves_a_note() -> None:
    notes = profile("6.3.7").notes_for(X86)
    assert any("87a7ae75d738" in n and "assumed" in n and "6.3.5" in n for n in notes), notes
    assert profile("6.4").notes == ()  # mainline: nothing assumed


def test_other_rules_by_mainline_version() -> None:
    assert profile("5.18").optimize_rule == "none"
    assert profile("5.19").optimize_rule == "nr_gt_1"
    assert profile("6.2.16").optimize_rule == "nr_gt_1"  # 6.2.y was end of life
    assert profile("6.5").optimize_rule == "nr_gt_1_hvo_gated"
    assert profile("6.6").optimize_rule == "reserve_dax_gated"
    assert profile("5.16").compound_devmap is False
    assert profile("5.17").compound_devmap is True
    assert profile("6.10").counters == "none"
    assert profile("6.11").counters == "nominal"
    assert profile("7.2").counters == "exact"


# Muchun Song's init fix: v7.2; stable 7.1.5 / 6.18.40 / 6.12.97 / 6.6.145 / 6.1.184
# (spec corrections.md item 2).
@pytest.mark.parametrize(
    ("before", "carries"),
    [
        ("7.1.4", "7.1.5"),
        ("6.18.39", "6.18.40"),
        ("6.12.96", "6.12.97"),
        ("6.6.144", "6.6.145"),
        ("6.1.183", "6.1.184"),
        ("7.1", "7.2"),
    ],
)
def test_early_init_fix_stable_boundaries(before: str, carries: str) -> None:
    assert profile(before).early_init_fix is False
    assert profile(carries).early_init_fix is True


def test_exact_counters_in_stable_are_not_knowable() -> None:
    # before the release that took the init fix from the same queue: certainly not
    early = profile("6.12.96")
    assert early.counters == "nominal"
    assert not any("accounting" in n.text for n in early.notes)
    # from there on: not known, nominal assumed, and said so
    late = profile("6.12.118")
    assert late.counters == "nominal"
    assert any("accounting" in n and "not known" in n for n in late.notes_for(X86))


def test_distribution_suffix_names_the_rules_assumed() -> None:
    notes = profile("5.14.0-427.el9.x86_64").notes_for(X86)
    assert any(
        "distribution kernel" in n
        and "5.14.0" in n
        and "compound_devmap=n" in n
        and "optimize_rule=none" in n
        for n in notes
    ), notes
    # .0 with a suffix: the sublevel is the distribution's, not a stable release
    assert any("does not name an upstream stable release" in n for n in notes), notes
    # a real stable sublevel after the suffix gets the first note only
    debian = profile("6.12.118-1-arm64").notes_for(X86)
    assert any("distribution kernel" in n for n in debian)
    assert not any("does not name an upstream stable release" in n for n in debian)


def test_plain_mainline_and_stable_releases_have_no_distribution_note() -> None:
    assert profile("6.12").notes == ()
    assert not any("distribution" in n.text for n in profile("6.12.20").notes)


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        ("counters=exact", "counters", "exact"),
        ("zone_device=n", "zone_device", False),
        ("ZONE-DEVICE=off", "zone_device", False),
        ("early_init_fix=yes", "early_init_fix", True),
        ("dedup_keep=1", "dedup_keep", 1),
        ("optimize_rule=nr_gt_1", "optimize_rule", "nr_gt_1"),
        ("arch_want_optimize_dax_vmemmap=y", "arch_want_optimize_dax_vmemmap", True),
    ],
)
def test_parse_kernel_switch(text: str, name: str, value: object) -> None:
    assert parse_kernel_switch(text) == (name, value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bogus=1", "unknown switch 'bogus'"),
        ("counters", "expected NAME=VALUE"),
        ("counters=precise", "counters expects none, nominal or exact"),
        ("dedup_keep=3", "dedup_keep expects 1 or 2"),
        ("zone_device=maybe", "zone_device expects y or n"),
    ],
)
def test_bad_kernel_switch_is_one_line_listing_names(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_kernel_switch(text)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    if "unknown" in message or "NAME=VALUE" in message:
        assert all(name in str(err.value) for name in SWITCH_NAMES)


def test_every_switch_can_be_overridden_and_records_its_source() -> None:
    base = profile("6.12")
    assert {source for _, _, source in base.switches(X86)} == {"version table"}
    flipped = {
        "compound_devmap": False,
        "optimize_rule": "nr_gt_1",
        "counters": "exact",
        "early_init_fix": True,
        "dedup_keep": 1,
        "arm64_subsection_basepages": True,
        "zone_device": False,
        "arch_want_optimize_dax_vmemmap": False,
    }
    assert set(flipped) == set(SWITCH_NAMES)
    over = with_switches(base, flipped)
    got = {name: (value, source) for name, value, source in over.switches(X86)}
    assert got == {name: (value, "override") for name, value in flipped.items()}


def test_specific_overrides_are_switch_overrides() -> None:
    p = with_overrides(profile("6.12"), counters="exact", dedup_keep=1)
    assert (p.counters, p.dedup_keep) == ("exact", 1)
    assert (p.source("counters"), p.source("dedup_keep"), p.source("optimize_rule")) == (
        "override",
        "override",
        "version table",
    )


def test_arch_gate_override() -> None:
    p = profile("6.12")
    assert p.arch_can_dedup(X86) is True
    assert with_switches(p, {"arch_want_optimize_dax_vmemmap": False}).arch_can_dedup(X86) is False
    # a kernel with no compound path cannot be made to dedup by the Kconfig gate alone
    old = with_switches(profile("5.18"), {"arch_want_optimize_dax_vmemmap": True})
    assert old.arch_can_dedup(X86) is False


def test_zone_device_off_is_refused() -> None:
    require_zone_device(profile("6.12"))
    with pytest.raises(InputError, match="CONFIG_ZONE_DEVICE"):
        require_zone_device(with_switches(profile("6.12"), {"zone_device": False}))


def test_distribution_note_lists_only_the_rules_left_to_the_table() -> None:
    p = profile("6.12.118-1-arm64")
    (x86_note,) = [n for n in p.notes_for(X86) if "distribution kernel" in n]
    (arm_note,) = [n for n in p.notes_for(ARM64) if "distribution kernel" in n]
    # the arm64 partial-section rule is named only where it applies
    assert "arm64_subsection_basepages=y" in arm_note
    assert "arm64_subsection_basepages" not in x86_note
    over = with_switches(p, {"counters": "exact"})
    (over_note,) = [n for n in over.notes_for(X86) if "distribution kernel" in n]
    assert "counters=nominal" in x86_note
    assert "counters" not in over_note  # overridden: no longer an assumption
