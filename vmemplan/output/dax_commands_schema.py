"""The JSON contract of ``compare --from-cxl``'s ``dax_device_commands`` (see schema.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DaxConfigurationDoc(_Model):
    """One configuration of a CXL region's dax device and the commands that reach it."""

    configuration: Literal[
        "devdax", "system-ram memmap_on_memory=off", "system-ram memmap_on_memory=on"
    ]
    commands: list[str]
    """daxctl commands and sysfs writes, in order; a ``#`` line is a kernel command line step."""
    refused: str | None
    """Why the kernel cannot run the device this way (None: it can)."""


class DaxCommandsDoc(_Model):
    """``compare --from-cxl``: per kernel, the daxctl commands for each configuration."""

    kernel: str
    configurations: list[DaxConfigurationDoc]
