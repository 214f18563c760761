"""Shell completion through click's completion API (issue 6 item 16)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner

from vmemplan.cli import cli
from vmemplan.errors import InputError
from vmemplan.kernel.arch import get_arch
from vmemplan.kernel.versions import parse_kernel_version


def completions(*args: str, incomplete: str = "") -> list[tuple[str, str]]:
    """(type, value) of what the shell is offered after ``vmemplan ARGS INCOMPLETE``."""
    complete = ShellComplete(cli, {}, "vmemplan", "_VMEMPLAN_COMPLETE")
    return [(c.type, c.value) for c in complete.get_completions(list(args), incomplete)]


def values(*args: str, incomplete: str = "") -> list[str]:
    items = completions(*args, incomplete=incomplete)
    assert {t for t, _ in items} <= {"plain"}
    return [v for _, v in items]


ARCH_NAMES = [
    "x86_64",
    "x86_64-la57",
    "arm64-4k",
    "arm64-16k",
    "arm64-64k",
    "ppc64-radix-64k",
    "ppc64-radix-4k",
    "riscv64",
]


@pytest.mark.parametrize("command", ["estimate", "compare", "plan", "check", "hugetlb"])
def test_arch_completes_every_profile(command: str) -> None:
    assert sorted(values(command, "--arch")) == sorted(ARCH_NAMES)
    assert values(command, "--arch", incomplete="arm") == ["arm64-4k", "arm64-16k", "arm64-64k"]
    assert values(command, "--arch", incomplete="X86_64-") == ["x86_64-la57"]


@pytest.mark.parametrize("command", ["estimate", "compare", "plan", "check", "hugetlb"])
def test_kernel_completes_known_versions(command: str) -> None:
    offered = values(command, "--kernel")
    # 4.5-4.20, 5.0-5.19, 6.0-6.19, 7.0-7.4 (the version table's range)
    assert len(offered) == 16 + 20 + 20 + 5
    assert offered[0] == "7.4"
    assert offered[-1] == "4.5"
    for version in offered:
        parse_kernel_version(version)  # every offer is accepted
    assert values(command, "--kernel", incomplete="6.1") == [
        "6.19", "6.18", "6.17", "6.16", "6.15", "6.14", "6.13", "6.12", "6.11", "6.10", "6.1",
    ]  # fmt: skip


def test_kernel_offers_nothing_unknown() -> None:
    """7.5 is accepted (newer than the table: its newest rules, with a note) but not
    offered: completion offers the releases the table knows."""
    with pytest.raises(InputError):
        parse_kernel_version("6.99")
    assert parse_kernel_version("7.5") == (7, 5)
    assert values("estimate", "--kernel", incomplete="7.5") == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("estimate", "--mode"), ["devdax", "fsdax", "dax", "memory"]),
        (("estimate", "-m"), ["devdax", "fsdax", "dax", "memory"]),
        (("compare", "--mode"), ["devdax", "fsdax", "dax", "memory"]),
        (("plan", "--mode", "fsdax", "--mode"), ["devdax", "fsdax", "dax", "memory"]),
        (("estimate", "--map"), ["mem", "dev"]),
        (("compare", "-M"), ["mem", "dev"]),
        (("plan", "--map"), ["mem", "dev"]),
        (("estimate", "--counters"), ["none", "nominal", "exact"]),
        (("check", "--counters"), ["none", "nominal", "exact"]),
    ],
)
def test_word_options_complete_their_words(args: tuple[str, ...], expected: list[str]) -> None:
    assert values(*args) == expected


def test_words_complete_by_prefix() -> None:
    assert values("estimate", "--mode", incomplete="f") == ["fsdax"]
    assert values("estimate", "--map", incomplete="D") == ["dev"]
    assert values("estimate", "--counters", incomplete="n") == ["none", "nominal"]
    assert values("estimate", "--counters", incomplete="x") == []


@pytest.mark.parametrize(
    "args",
    [
        ("check",),
        ("check", "examples/two-socket-vm-host.toml"),
        ("check", "--from-ndctl"),
        ("estimate", "--from-ndctl"),
        ("estimate", "--iomem"),
    ],
)
def test_file_arguments_complete_file_names(args: tuple[str, ...]) -> None:
    assert completions(*args, incomplete="exam") == [("file", "exam")]


def test_choices_still_complete() -> None:
    assert values("schema", incomplete="c") == ["config", "compare"]
    assert values("check", "--format") == ["text", "json", "github"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_is_printed(shell: str) -> None:
    """``_VMEMPLAN_COMPLETE=<shell>_source vmemplan`` prints the script docs tell to use."""
    result = CliRunner().invoke(
        cli, [], prog_name="vmemplan", env={"_VMEMPLAN_COMPLETE": f"{shell}_source"}
    )
    assert result.exit_code == 0
    assert f"_VMEMPLAN_COMPLETE={shell}_complete" in result.stdout.replace('"', "")


def test_every_offered_arch_parses() -> None:
    for name in values("estimate", "--arch"):
        assert get_arch(name).name == name


def test_docs_document_each_shell() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs"
    section = (docs / "completion.md").read_text(encoding="utf-8")
    for shell in ("bash", "zsh", "fish"):
        assert f"_VMEMPLAN_COMPLETE={shell}_source vmemplan" in section
    for option in ("--arch", "--map", "--mode", "--counters", "--kernel", "--from-ndctl"):
        assert option in section
