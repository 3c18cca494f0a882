"""Describe the machine and the code a benchmark ran on: platform, CPU, memory, versions, commit."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# Linux's free page reporting: on a virtual machine whose balloon device asks for it, memory the
# guest frees is handed back to the host within seconds, and the next touch of it waits for the
# host to fault it in again (on the 2-CPU machine of benchmarks/README.md, 4 GiB touched took
# 7-9 s with reporting on and 2.4-2.7 s with it off). Its parameters, and on kernels that count
# it the memory reported so far (reported_kib), describe how much of that a run paid for.
PAGE_REPORTING = Path("/sys/module/page_reporting/parameters")
# The kernel's CPU time counters; on a virtual machine "steal" is the time its CPUs were ready
# to run but the host ran something else (on that machine, 0 % in one session and 10-26 % of a
# phase's CPU time in another).
PROC_STAT = Path("/proc/stat")
# What the host took, as a phase's figures name it (host_counters).
HOST_FIELDS = ("host_reported_mib", "host_steal_s")


def describe() -> dict[str, Any]:
    """Platform, CPU model and count, memory, and the versions that decide load speed."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _proc_value("/proc/cpuinfo", "model name") or platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": _version("SQLAlchemy"),
        "sqlite_utils": _version("sqlite-utils"),
        "page_reporting": page_reporting(),
    }


def page_reporting(parameters: Path = PAGE_REPORTING) -> dict[str, int] | None:
    """The kernel's free page reporting parameters that are numbers (page_reporting_order above
    the largest page order turns it off), or None where the kernel has none."""
    try:
        entries = sorted(parameters.iterdir())
    except OSError:
        return None
    values = {}
    for entry in entries:
        try:
            text = entry.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            values[entry.name] = int(text)
    return values or None


def reported_mib(parameters: Path = PAGE_REPORTING) -> float | None:
    """Memory the kernel has reported free to the host since it started, in MiB; None where it
    does not count it."""
    try:
        return int((parameters / "reported_kib").read_text()) / 1024
    except (OSError, ValueError):
        return None


def steal_s(stat: Path = PROC_STAT) -> float | None:
    """CPU seconds the host has taken from this machine's CPUs since it started, all CPUs
    together; None where the kernel does not count it."""
    try:
        with stat.open() as lines:
            fields = lines.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def host_counters() -> dict[str, float]:
    """The host's share of this machine's resources so far, where the kernel counts it: memory
    handed back (host_reported_mib) and CPU taken (host_steal_s). A phase's figure is the
    difference of two readings."""
    counters = dict(zip(HOST_FIELDS, (reported_mib(), steal_s()), strict=True))
    return {name: value for name, value in counters.items() if value is not None}


def provenance() -> dict[str, Any]:
    """When, on which commit and on which machine a result was measured: its first fields."""
    return {
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git": git_commit(),
        "machine": describe(),
    }


def add_results_option(parser: argparse.ArgumentParser, default: Path) -> None:
    """The --results option every benchmark takes: the JSON Lines file to append to."""
    parser.add_argument(
        "--results", type=Path, default=default, help="JSON Lines file to append to"
    )


def append_result(path: Path, result: dict[str, Any]) -> None:
    """Append one result as a JSON line to `path`, and say so."""
    with path.open("a", encoding="utf-8") as results:
        results.write(json.dumps(result, ensure_ascii=False) + "\n")
    print(f"\nAppended to {path}")


def git_commit() -> dict[str, Any] | None:
    """The checked-out commit and whether the working tree has changes; None outside git."""
    try:
        commit = _git("rev-parse", "HEAD")
        dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": commit, "dirty": dirty}


def _git(*args: str) -> str:
    """Output of a read-only git command in the repository."""
    done = subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.strip()


def _version(distribution: str) -> str | None:
    """Installed version of a distribution, or None."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _proc_value(path: str, key: str) -> str | None:
    """The first `key: value` of a /proc file (Linux), or None where there is none."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return None


def _memory_gib() -> float | None:
    """Total memory in GiB (Linux), or None."""
    total = _proc_value("/proc/meminfo", "MemTotal")  # "24563244 kB"
    return round(int(total.split()[0]) / (1 << 20), 1) if total else None
