"""``vmemplan estimate --batch``: one geometry per line in, one ``--json`` document per line out."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from vmemplan.batch import MAX_LINE_BYTES
from vmemplan.cli import cli
from vmemplan.cli.estimate import _batch_line_options

GiB = 1 << 30


def batch(text: str, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["estimate", *args, "--batch", "-"], input=text, catch_exceptions=False
    )


def single(*args: str) -> dict[str, Any]:
    """The document one `estimate ... --json` run prints: what a batch line must equal."""
    result = CliRunner().invoke(cli, ["estimate", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def docs(result: Result) -> list[dict[str, Any]]:
    lines = result.stdout.splitlines()
    return [json.loads(line) for line in lines]


def test_each_line_is_the_document_json_gives() -> None:
    """Flags and JSON lines alike give exactly the single-run `--json` document, in order."""
    text = (
        "--size 1T --align 1G\n"
        '{"size": "1T", "align": "1G", "map": "dev"}\n'
        "--size 512G --align 2M --mode fsdax --kernel 6.1\n"
        '{"dax-range": ["0x2000000000+64G", "0x3000000000+64G"], "align": "2M"}\n'
    )
    result = batch(text)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert docs(result) == [
        single("--size", "1T", "--align", "1G"),
        single("--size", "1T", "--align", "1G", "--map", "dev"),
        single("--size", "512G", "--align", "2M", "--mode", "fsdax", "--kernel", "6.1"),
        single(
            "--dax-range", "0x2000000000+64G", "--dax-range", "0x3000000000+64G", "--align", "2M"
        ),
    ]


def test_one_compact_document_per_line() -> None:
    result = batch("--size 1T\n--size 2T\n")
    lines = result.stdout.split("\n")
    assert lines[2:] == [""]  # two lines, each ending in a newline
    # compact: no blank after a separator (note texts may hold ": " inside their strings)
    assert all(line == json.dumps(json.loads(line), separators=(",", ":")) for line in lines[:2])
    assert [d["input"]["size_bytes"] for d in docs(result)] == [1024 * GiB, 2048 * GiB]


def test_blank_lines_and_comments_are_skipped() -> None:
    text = "\n# a comment\n   \n  --size 1T   \n\t# indented comment\n--size 2T # trailing\n"
    result = batch(text)
    assert result.exit_code == 0, result.stderr
    assert [d["input"]["size_bytes"] for d in docs(result)] == [1024 * GiB, 2048 * GiB]


def test_an_empty_batch_answers_nothing_and_succeeds() -> None:
    result = batch("# nothing to do\n\n")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_a_bad_line_is_one_error_with_its_number_and_the_rest_still_answered() -> None:
    text = "--size 1T\n\n--size 3X\n--size 2T\n{not json\n--size 4T\n"
    result = batch(text)
    assert result.exit_code == 2
    assert [d["input"]["size_bytes"] for d in docs(result)] == [
        1024 * GiB,
        2048 * GiB,
        4096 * GiB,
    ]
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("vmemplan: error: <stdin>:3: --size: '3X': ")
    assert errors[1].startswith("vmemplan: error: <stdin>:5: --batch: not a JSON object")


def test_a_geometry_the_kernel_refuses_is_a_line_error() -> None:
    """The same refusal `estimate --json` gives, attributed to its line."""
    single_run = CliRunner().invoke(
        cli, ["estimate", "--size", "1G", "--align", "1G", "--json"], catch_exceptions=False
    )
    assert single_run.exit_code == 2
    result = batch("--size 1T\n--size 1G --align 1G\n")
    assert result.exit_code == 2
    assert len(docs(result)) == 1
    message = single_run.stderr.removeprefix("vmemplan: error: ")
    assert result.stderr == f"vmemplan: error: <stdin>:2: {message}"


def test_a_file_names_itself_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "geometries.txt"
    path.write_text("--size 1T\n--align 1G\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["estimate", "--batch", str(path)], catch_exceptions=False)
    assert result.exit_code == 2
    assert len(docs(result)) == 1
    assert result.stderr.startswith(f"vmemplan: error: {path}:2: ")


def test_an_unreadable_file_is_exit_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    result = CliRunner().invoke(cli, ["estimate", "--batch", str(missing)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"vmemplan: error: --batch: {missing}: ")
    assert result.stderr.count("\n") == 1


def test_command_line_options_are_every_lines_defaults() -> None:
    result = batch("--size 1T\n--size 1T --kernel 6.12\n", "--kernel", "6.1", "--align", "1G")
    assert result.exit_code == 0, result.stderr
    assert docs(result) == [
        single("--size", "1T", "--kernel", "6.1", "--align", "1G"),
        single("--size", "1T", "--kernel", "6.12", "--align", "1G"),
    ]


def test_a_default_size_lets_lines_vary_only_the_rest() -> None:
    result = batch('--align 2M\n{"align": "1G", "map": "dev"}\n', "--size", "1T")
    assert docs(result) == [
        single("--size", "1T", "--align", "2M"),
        single("--size", "1T", "--align", "1G", "--map", "dev"),
    ]


def test_a_lines_repeatable_option_replaces_the_default_not_adds_to_it() -> None:
    result = batch(
        "--size 1T\n--size 1T --system-ram 0+16G\n", "--system-ram", "0+32G", "--start", "64G"
    )
    assert [d["input"]["system_ram"] for d in docs(result)] == [
        [{"start_bytes": 0, "end_bytes": 32 * GiB, "as_given": "0+32G"}],
        [{"start_bytes": 0, "end_bytes": 16 * GiB, "as_given": "0+16G"}],
    ]


@pytest.mark.parametrize(
    ("option", "value"),
    [("--json", None), ("--color", "never"), ("--from-ndctl", "x.json"), ("--iomem", "iomem")],
)
def test_options_that_make_no_sense_with_batch_are_refused(option: str, value: str | None) -> None:
    """Every option estimate accepts changes its answer or is refused."""
    args = [option] if value is None else [option, value]
    result = batch("--size 1T\n", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"vmemplan: error: {option}: not with --batch")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("--size 1T --json", "--json: not an option of a batch line"),
        ("--size 1T --batch -", "--batch: not an option of a batch line"),
        ("--size 1T --iomem /proc/iomem", "--iomem: not an option of a batch line"),
        ("--size", "--size: needs a value"),
        ("1T", "1T: not an option"),
        ("--no-early-init-fix=yes --size 1T", "--no-early-init-fix: 'yes': the flag takes no"),
        ("--size '1T", '--batch: "--size \'1T": No closing quotation'),
        ("[1, 2]", "--batch: not a JSON object"),
        ('{"size": 1.5}', "'size': 1.5: expected a string or an integer"),
        ('{"size": true}', "'size': true: expected a string or an integer"),
        ('{"early-init-fix": "yes"}', "'early-init-fix': \"yes\": expected true or false"),
        ('{"vmemmap_shift": 9}', "'vmemmap_shift': not an option of estimate (did you mean"),
        ('{"json": true}', "'json': not an option of estimate"),
    ],
)
def test_line_errors_name_the_culprit(line: str, expected: str) -> None:
    result = batch(f"--size 1T\n{line}\n")
    assert result.exit_code == 2
    assert len(docs(result)) == 1
    assert result.stderr.startswith(f"vmemplan: error: <stdin>:2: {expected}")
    assert result.stderr.count("\n") == 1


def test_every_spelling_of_the_command_line_works_on_a_line() -> None:
    """Short options, --opt=value, glued short values, negated flags, quotes and integers."""
    expected = single("--size", "1T", "--align", "1G", "--no-early-init-fix", "--map", "dev")
    lines = [
        "-s 1T -a 1G -M dev --no-early-init-fix",
        "-s1T -a1G -Mdev --no-early-init-fix",
        "--size=1T --align=1G --map=dev --no-early-init-fix",
        "--size '1T' --align \"1G\" --map dev --no-early-init-fix",
        '{"size": 1099511627776, "align": 1073741824, "map": "dev", "early-init-fix": false}',
    ]
    result = batch("\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    assert docs(result) == [expected] * len(lines)


def test_a_flag_on_a_line_overrides_the_command_line() -> None:
    result = batch(
        "--size 1T\n--size 1T --no-early-init-fix\n",
        "--early-init-fix",
    )
    assert [d["input"]["kernel"]["early_init_fix"] for d in docs(result)] == [True, False]


def test_a_line_takes_every_geometry_and_machine_option_of_estimate() -> None:
    """The JSON keys are the long option names; the table comes from the command itself."""
    _, keys = _batch_line_options()
    assert set(keys) == {
        "size",
        "start",
        "align",
        "vmemmap-shift",
        "map",
        "mode",
        "dax-range",
        "system-ram",
        "arch",
        "kernel",
        "struct-page-size",
        "counters",
        "early-init-fix",
        "dedup-keep",
        "ns-per-page",
        "linear-map",
        "no-gbpages",
        "kernel-switch",
        "memmap-on-memory",
        "memory-block-size",
    }


def test_help_documents_batch() -> None:
    result = CliRunner().invoke(cli, ["estimate", "--help"], catch_exceptions=False)
    assert "--batch FILE" in result.stdout


def test_a_batch_equals_fresh_processes() -> None:
    """Lines after the first reuse the populated boot memmap; each must still equal what a
    fresh interpreter (nothing cached) prints for the same options."""
    lines = [
        ["--size", "1T", "--align", "1G"],
        ["--size", "64G", "--align", "2M", "--start", "128G"],
        ["--size", "1T", "--align", "1G", "--map", "dev"],
        ["--size", "1T", "--align", "1G"],
    ]
    result = batch("".join(" ".join(args) + "\n" for args in lines))
    fresh = [
        json.loads(
            subprocess.run(
                [sys.executable, "-m", "vmemplan", "estimate", *args, "--json"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for args in lines
    ]
    assert docs(result) == fresh


def test_the_collector_is_back_on_after_a_batch() -> None:
    """The batch loop runs with gc off (nothing cyclic to free); it must not leak that."""
    assert gc.isenabled()
    result = batch("--size 1T\n--size 3X\n")
    assert result.exit_code == 2
    assert gc.isenabled()


def test_a_reader_leaving_mid_batch_exits_0_quietly() -> None:
    """`vmemplan estimate --batch FILE | head -1`: the rest of the batch was not wanted."""
    r, w = os.pipe()
    with subprocess.Popen(
        [sys.executable, "-m", "vmemplan", "estimate", "--batch", "-"],
        stdin=subprocess.PIPE,
        stdout=w,
        stderr=subprocess.PIPE,
    ) as proc:
        os.close(w)
        assert proc.stdin is not None
        proc.stdin.write(b"--size 1T\n" * 2000)  # ~5 MB of JSON: far more than a pipe holds
        proc.stdin.close()
        with os.fdopen(r, "rb") as reader:
            assert reader.read(1) == b"{"  # take one byte, then hang up
        assert proc.stderr is not None
        err = proc.stderr.read()
        assert proc.wait(timeout=60) == 0
    assert err == b""


def test_lines_take_the_newer_machine_options() -> None:
    """A distribution kernel with switches, and the direct-map options, on a batch line give
    the single-run document (a KernelProfile with overrides must key the boot-machine cache)."""
    lines = [
        ("--size", "2T", "--kernel", "5.14.0-427.el9.x86_64", "--kernel-switch",
         "compound_devmap=y", "--kernel-switch", "optimize_rule=reserve_dax_gated"),
        ("--size", "1T", "--arch", "arm64-4k", "--linear-map", "blocks"),
        ("--size", "1T", "--no-gbpages"),
    ]  # fmt: skip
    result = batch("".join(" ".join(args) + "\n" for args in lines))
    assert result.exit_code == 0, result.stderr
    assert docs(result) == [single(*args) for args in lines]
    assert docs(result)[0]["input"]["kernel"]["switches"]["compound_devmap"]["source"] == "override"


@pytest.mark.parametrize("option", ["-u", "--human"])
def test_batch_refuses_what_its_lines_cannot_use(option: str) -> None:
    result = batch("--size 1T\n", option)
    assert result.exit_code == 2
    assert "not with --batch" in result.stderr


def test_a_byte_order_mark_before_line_1_is_skipped() -> None:
    result = CliRunner().invoke(
        cli, ["estimate", "--batch", "-"], input=b"\xef\xbb\xbf--size 1T\n", catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    assert docs(result) == [single("--size", "1T")]


def test_a_carriage_return_inside_a_line_does_not_shift_line_numbers() -> None:
    """Lines end at LF, as an editor counts them: the bad line is still line 3."""
    result = batch("--size 1T\r--align 1G\r\n--size 2T\n--size 3X\r\n")
    assert result.exit_code == 2
    assert result.stderr == (
        "vmemplan: error: <stdin>:3: --size: '3X': unknown suffix 'X' (use K, M, G, T, P or E)\n"
    )
    assert docs(result) == [single("--size", "1T", "--align", "1G"), single("--size", "2T")]


def test_a_bad_command_line_default_is_reported_once() -> None:
    """A default every line takes fails every line the same way: one line says so."""
    result = batch("--size 1T\n--size 2T\n--size 1T --align 1G\n--size 4T\n", "--align", "3M")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("vmemplan: error: --align: 3M is not a power of two")
    assert "first at <stdin>:1" in result.stderr
    assert docs(result) == [single("--size", "1T", "--align", "1G")]


def test_a_default_that_does_not_parse_is_refused_before_any_line() -> None:
    result = batch("--size 1T\n--size 2T\n", "--kernel", "3.9")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("vmemplan: error: --kernel: '3.9'")
    assert result.stdout == ""


@pytest.mark.parametrize(
    "line",
    [
        "--size 1T \x1b]0;TITLE\x07",
        '{"size": "1T", "\\u001b]0;TITLE\\u0007": 1}',
        '{"size": "1T\\u001b]0;TITLE\\u0007"}',
        "--size '1T\x1b]0;TITLE\x07'",
        "--no-early-init-fix=\x1b]0;TITLE\x07",
    ],
)
def test_an_escape_sequence_in_a_line_is_echoed_escaped(line: str) -> None:
    result = batch(line + "\n")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "\x1b" not in result.stderr
    assert "\x07" not in result.stderr
    assert "\\x1b]0;TITLE\\x07" in result.stderr


def test_a_long_token_is_echoed_as_a_short_excerpt() -> None:
    result = batch("--size 1T " + "x" * 100_000 + "\n")
    assert result.exit_code == 2
    assert len(result.stderr) < 200
    assert "100,000 characters" in result.stderr


def test_a_line_over_the_cap_ends_the_batch_with_one_error() -> None:
    text = "--size 2T\n--size 1T " + "x" * MAX_LINE_BYTES + "\n--size 4T\n"
    result = batch(text)
    assert result.exit_code == 2
    assert result.stderr == (
        "vmemplan: error: <stdin>:2: --batch: line longer than 4 MiB: not a geometry file, "
        "the batch stops here\n"
    )
    assert docs(result) == [single("--size", "2T")]


def test_binary_input_ends_the_batch_with_one_error() -> None:
    result = CliRunner().invoke(
        cli,
        ["estimate", "--batch", "-"],
        input=b"--size 2T\n\x8f\x00\xff\n--size 4T\n",
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("vmemplan: error: <stdin>:2: --batch: binary data")
    assert docs(result) == [single("--size", "2T")]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_is_not_read_forever(device: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "vmemplan", "estimate", "--batch", device],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        f"vmemplan: error: --batch: {device}: a character device, not a file or a pipe\n"
    )


def test_many_ranges_on_a_line_cost_what_they_cost_on_the_command_line() -> None:
    """A line's repeatable values are collected in a list (rebuilding a tuple per value was
    quadratic): 2,000 ranges on one line give the command line's document."""
    ranges = [f"{i * 512}M+256M" for i in range(2_000)]
    line = "--size 64G --start 2T " + " ".join(f"--system-ram {r}" for r in ranges)
    result = batch(line + "\n")
    assert result.exit_code == 0, result.stderr
    args = [a for r in ranges for a in ("--system-ram", r)]
    assert docs(result) == [single("--size", "64G", "--start", "2T", *args)]


def test_a_line_may_be_a_system_ram_geometry() -> None:
    """--mode system-ram lines, with --memmap-on-memory and --memory-block-size on the line
    or the command line, are the `estimate --mode system-ram --json` document."""
    lines = [
        ("--mode", "system-ram", "--size", "4G", "--start", "128G", "--memmap-on-memory", "on"),
        ("--size", "1T"),
        ("--mode", "system-ram", "--dax-range", "256G+2G", "--memory-block-size", "128M"),
        ("--mode", "system-ram", "--size", "64G", "--start", "64G", "--map", "dev"),
    ]
    result = batch("".join(" ".join(args) + "\n" for args in lines))
    assert result.exit_code == 0, result.stderr
    assert docs(result) == [single(*args) for args in lines]
    json_line = '{"mode": "system-ram", "size": "4G", "start": "128G", "memmap-on-memory": "on"}\n'
    assert docs(batch(json_line)) == [single(*lines[0])]
    # a command-line default for every line
    by_default = batch("--mode system-ram --size 4G --start 128G\n", "--memmap-on-memory", "on")
    assert docs(by_default) == [single(*lines[0])]


def test_memmap_on_memory_on_a_namespace_line_is_refused_at_its_line() -> None:
    result = batch("--size 1T\n--size 1T --memmap-on-memory on\n")
    assert result.exit_code == 2
    assert len(docs(result)) == 1
    assert result.stderr == (
        "vmemplan: error: <stdin>:2: --memmap-on-memory: only with --mode system-ram (on the "
        "line or the command line)\n"
    )
