"""A file that is not a config (a shadow file, an env file of tokens) is not echoed back.

Before: each line of a shadow file came back in full as an "unknown key 'root:$6$...'"
problem. Now a key is shown in full only up to 24 characters, a longer one as its first 8,
and a value as its first 24: a secret of any useful length is never printed whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.bounded import run

HASH = "$6$rounds=5000$saltsalt$" + "Zx9" * 28  # a sha512-crypt-like hash: 108 characters
TOKEN = "ghp_" + "A1b2C3d4E5" * 4  # a 44-character token
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

SHADOW = f"root:{HASH}:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n"
ENV = f"GITHUB_TOKEN={TOKEN}\nAWS_SECRET_ACCESS_KEY={SECRET_KEY}\n"
YAML_ENV = f"github_token_{TOKEN}: 1\npassword: {SECRET_KEY}\n"


@pytest.mark.parametrize(
    ("name", "text", "secrets"),
    [
        ("shadow", SHADOW, [HASH]),
        ("tokens.env", ENV, [TOKEN, SECRET_KEY]),
        ("tokens.yaml", YAML_ENV, [TOKEN, SECRET_KEY]),
    ],
)
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_no_secret_is_printed_in_full(
    tmp_path: Path, name: str, text: str, secrets: list[str], fmt: str
) -> None:
    (tmp_path / name).write_text(text)
    result = run("check", "--input-format", "yaml", "--format", fmt, str(tmp_path / name))
    assert result.code == 2
    out = result.stdout + result.stderr
    assert "unknown key" in out or "top level" in out  # it did report the file
    for secret in secrets:
        assert secret not in out
        assert secret[:16] not in out  # not even most of it
        assert secret[-12:] not in out


def test_a_long_key_shows_its_first_characters_and_its_length(tmp_path: Path) -> None:
    path = tmp_path / "shadow.yaml"
    path.write_text(SHADOW)
    result = run("check", str(path))
    first = result.stdout.splitlines()[0]
    key = f"root:{HASH}:20228:0:99999:7::"
    assert first == (
        f"{path}:1: \"root:$6$\"...: unknown key 'root:$6$'... ({len(key)} characters)"
    )


def test_a_short_unknown_key_is_shown_whole_with_its_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "host.toml"
    path.write_text('[host]\narhc = "x86_64"\n')
    result = run("check", str(path))
    assert f"{path}:2: host.arhc: unknown key 'arhc' (did you mean 'arch'?)" in result.stdout
