"""Process accounting (psutil): how long a command takes, the CPU it and every process under it
use, their peak memory together, and how busy the rest of the machine was meanwhile."""

from __future__ import annotations

import contextlib
import resource
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psutil

from bench.common import DISTURBED_CORES, REPEATS, ROOT

T = TypeVar("T")
SAMPLE_S = 0.05  # how often the process tree is sampled
LINGER_S = 30.0  # how long processes the command leaves behind are followed after it ends


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has been busy since boot, or the hypervisor has taken
    from it (steal). Guest time is already in user time."""
    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    guest = getattr(t, "guest", 0.0) + getattr(t, "guest_nice", 0.0)
    return sum(t) - idle - guest


def _steal_s() -> float:
    return float(getattr(psutil.cpu_times(), "steal", 0.0))


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_until_quiet(
    limit_s: float, threshold_cores: float = 0.15, sample_s: float = 0.5
) -> dict[str, Any]:
    """Wait until other processes use under `threshold_cores` for two samples of `sample_s`
    in a row, at most limit_s."""
    start = time.perf_counter()
    quiet = 0
    last = 0.0
    while time.perf_counter() - start < limit_s:
        before = _busy_cpu_s()
        time.sleep(sample_s)
        last = (_busy_cpu_s() - before) / sample_s
        quiet = quiet + 1 if last < threshold_cores else 0
        if quiet >= 2:
            return {"waited_s": round(time.perf_counter() - start, 1), "quiet": True}
    return {
        "waited_s": round(time.perf_counter() - start, 1),
        "quiet": False,
        "others_cores": round(last, 2),
    }


def disturbed(load: dict[str, Any]) -> bool:
    """Whether other processes (or the hypervisor) took enough CPU during a measurement for it
    to be taken again (DISTURBED_CORES)."""
    return float(load.get("others_cores", 0.0)) >= DISTURBED_CORES


def again_if_disturbed(
    run: Callable[[], T], load: Callable[[T], dict[str, Any]], quiet_wait: float
) -> list[T]:
    """`run` once, and once more when the first was disturbed and the machine has gone quiet
    since (within quiet_wait s: a second run on a machine still as busy would be disturbed as
    much). The caller keeps the faster."""
    runs = [run()]
    if disturbed(load(runs[0])) and wait_until_quiet(quiet_wait)["quiet"]:
        runs.append(run())
    return runs


def observed(run: Callable[[], T], quiet_wait: float) -> tuple[T, dict[str, Any]]:
    """Run `run` (which starts subprocesses), noting how much CPU everything else used meanwhile.

    What `run` itself used is the CPU of the children it waited for, or its result's `cpu_s`
    when it says more (processes a build leaves behind are not waited for by this one)."""
    waited = wait_until_quiet(quiet_wait)
    busy, own, steal = _busy_cpu_s(), _children_cpu_s(), _steal_s()
    start = time.perf_counter()
    result = run()
    wall = time.perf_counter() - start
    used = _children_cpu_s() - own
    if isinstance(result, dict) and isinstance(result.get("cpu_s"), float):
        used = max(used, result["cpu_s"])
    others = max(0.0, (_busy_cpu_s() - busy) - used)
    load: dict[str, Any] = {"wait": waited}
    load["others_cpu_s"] = round(others, 1)  # other processes, and steal
    load["others_cores"] = round(others / wall, 2) if wall else 0.0
    load["steal_s"] = round(_steal_s() - steal, 1)
    return result, load


@dataclass
class _Tree:
    """What the sampler has seen of a process and everything under it."""

    root: psutil.Process
    seen: dict[int, psutil.Process] = field(default_factory=dict)
    cpu: dict[int, float] = field(default_factory=dict)  # the last user + system seen per pid
    peak_total: int = 0  # the largest sum of RSS at one sample
    peak_one: int = 0  # the largest RSS of any one process

    def sample(self) -> bool:
        """One sample of the tree; False when no process of it is left."""
        procs = list(self.seen.values())
        with contextlib.suppress(psutil.Error):  # once the root has ended: what it left behind
            procs = [self.root, *self.root.children(recursive=True), *procs]
        total, alive = 0, False
        counted: set[int] = set()
        for proc in procs:
            if proc.pid in counted:
                continue
            counted.add(proc.pid)
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    zombie = proc.status() == psutil.STATUS_ZOMBIE
                    rss = 0 if zombie else proc.memory_info().rss
            except psutil.Error:
                continue
            self.seen.setdefault(proc.pid, proc)
            # A process's own CPU, never its children's: they are sampled themselves.
            self.cpu[proc.pid] = max(self.cpu.get(proc.pid, 0.0), times.user + times.system)
            alive = alive or not zombie
            total += rss
            self.peak_one = max(self.peak_one, rss)
        self.peak_total = max(self.peak_total, total)
        return alive


def measure(command: list[str], log: Path, quiet_wait: float) -> dict[str, Any]:
    """Wall time, CPU, exit code and peak RSS (MB) of `command` and every process under it.

    A thread samples the process tree with psutil every SAMPLE_S: the RSS of all its processes
    summed (peak_total_rss_mb) and of the largest one (peak_rss_mb), and each one's CPU time.
    After the command ends, processes it left to end after it (its render pool's workers) are
    followed until they end too (at most LINGER_S)."""
    log.parent.mkdir(parents=True, exist_ok=True)

    def run() -> dict[str, Any]:
        with log.open("wb") as handle:
            start = time.perf_counter()
            child = subprocess.Popen(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
            tree = _Tree(psutil.Process(child.pid))
            done = threading.Event()

            def sampler() -> None:
                while not done.is_set():
                    tree.sample()
                    done.wait(SAMPLE_S)

            thread = threading.Thread(target=sampler, daemon=True)
            thread.start()
            rc = child.wait()
            wall = time.perf_counter() - start
            done.set()
            thread.join()
        deadline = time.monotonic() + LINGER_S
        while tree.sample() and time.monotonic() < deadline:
            time.sleep(SAMPLE_S)
        return {
            "rc": rc,
            "wall_s": wall,
            "cpu_s": round(sum(tree.cpu.values()), 3),
            "processes": len(tree.seen),
            "peak_rss_mb": round(tree.peak_one / 2**20, 1),
            "peak_total_rss_mb": round(tree.peak_total / 2**20, 1),
        }

    out, load = observed(run, quiet_wait)
    out["load"] = load
    out["log"] = str(log.relative_to(ROOT) if log.is_relative_to(ROOT) else log)
    return out


def median_wall(command: list[str], repeats: int = REPEATS) -> dict[str, Any]:
    """The median and least wall time of `command` over `repeats` runs."""
    walls, codes = [], set()
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
        codes.add(proc.returncode)
    return {
        "median_s": round(statistics.median(walls), 3),
        "min_s": round(min(walls), 3),
        "runs": repeats,
        "exit_codes": sorted(codes),
    }
