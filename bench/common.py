"""Paths, settings and the small helpers every part of the benchmark shares."""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results.json"
PYCACHE = WORK / "pycache"
CATALOGUE = ROOT / "indicators.yaml"
QUARTER = "2024Q3"
# The quarters the committed samples cover (make samples): the build reads them all.
QUARTERS = "2021Q4..2024Q3"
SEED = 1
REPEATS = 3  # runs of each startup command (--help, check): the median is kept
# A measurement during which other processes (and the hypervisor's steal) took this many cores
# or more is taken once more, and the faster kept; an undisturbed one is taken once.
DISTURBED_CORES = 0.3
# A cold build quicker than this is taken twice, each followed by its floor, and the faster of
# each kept: the packs' rendering alone varies by 1-2 s between runs on a quiet machine, a
# larger share of a short build (scales 1 and 10) than of a long one.
PAIR_BELOW_S = 40.0
HEAVY_MODULES = (
    "polars",
    "weasyprint",
    "fastexcel",
    "openpyxl",
    "jinja2",
    "pydantic",
    "yaml",
    "holidays",
)
QUARTER_SUFFIX = re.compile(r"\s+(for\s+)?\d{4}Q[1-4]( to \d{4}Q[1-4])?$")


def quarters() -> list[str]:
    """The quarters of QUARTERS, first to last."""
    from tees_dataset.quarter import Quarter

    return [str(q) for q in Quarter.parse_range(QUARTERS)]


def cli() -> list[str]:
    """The venv's console script, as a user runs it; else the same entry point via -c."""
    script = Path(sys.executable).parent / "tees-dataset"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from tees_dataset.cli import main; main()"]


def max_rss_mb() -> float:
    """The largest RSS this process has had, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_json(args: list[str]) -> dict[str, Any]:
    """Run a Python subprocess (from the repository root) that prints one JSON object as its
    last line of stdout."""
    proc = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args[:4])} failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def internal(part: str, returns_dir: Path, out: Path) -> list[str]:
    """The arguments that run one of the benchmark's in-process measurements in a fresh
    Python process (see bench/run.py's INTERNAL)."""
    return ["-m", "bench.run", "--internal", part, "--returns", str(returns_dir), "--out", str(out)]


class Clock:
    """Wall and CPU seconds (this process, all its threads) of named stages."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
        self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {
            name: {"wall_s": round(self.wall[name], 3), "cpu_s": round(self.cpu[name], 3)}
            for name in self.wall
        }
