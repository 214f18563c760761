"""Shared fixtures and the hypothesis profiles ("dev" locally, "ci" in CI)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("thorough", max_examples=3000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# tests/data holds inputs, not tests; its snapshot trees (tests/data/live) keep sysfs's
# links, whose memoryN/nodeM and nodeM/memoryN pairs form cycles a directory walk would
# follow forever.
collect_ignore = ["data"]
