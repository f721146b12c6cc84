"""Benchmark of a full quarterly build at growing volumes of returns.

Usage (from the repository root)::

    python -m bench.run                 # scales 1, 10 and 100 (make bench)
    python -m bench.run --scales 1,10   # chosen scales
    python -m bench.run --quick         # scale 1 only: a smoke run
    python -m bench.run --report        # the summary of bench/results.json again

(`python bench/run.py` works as well.) ``--output PATH`` writes the results elsewhere
(``--report --output PATH`` reads them from there); ``--quiet-wait S`` and
``--no-bytecode-cache`` are explained by ``--help``.

For each scale N it:

1. generates synthetic returns for the 12 quarters 2021Q4..2024Q3, the rows
   ``tees-dataset sample --scale N --seed 1`` makes, into ``bench/work/scale-N/returns``
   (bench/generate.py; reused while the generator's sources are unchanged). Generation is timed
   on its own and is not part of the build;
2. times ``tees-dataset build --quarter 2024Q3 --html`` as a subprocess from an empty --out:
   wall time, CPU time and peak RSS of the build and every process under it
   (bench/measure.py, psutil); then the same build over the unchanged returns (which should
   write nothing), and after one agency corrects its return;
3. measures a floor: every sheet of every return file the build read, as text with fastexcel,
   plus WeasyPrint rendering the build's own HTML as the build must (tagged PDF/UA-1), all packs
   at once (bench/floor.py); reports build / floor;
4. times the build's stages in a fresh process, PDFs left out (bench/stages.py).

Once per run it also times ``tees-dataset --help`` and ``tees-dataset check`` (median of 3),
and records which heavy libraries ``import tees_dataset.cli`` pulls in. Issue #16's goals are
judged from what was measured (bench/report.py).

The machine may be shared: before each measurement the benchmark waits (up to --quiet-wait
seconds) until other processes use almost no CPU, and it records how much CPU others used
during each measurement, and the hypervisor's steal, so a contended number can be recognised.
The cold build and the floor are taken once, and once more (the faster kept) when other
processes took DISTURBED_CORES (bench/common.py) or more during the first and the machine has
gone quiet since, or when the build took less than PAIR_BELOW_S.

Everything goes to ``bench/results.json``; a markdown summary goes to stdout. Scratch output
lives under ``bench/work/`` (git-ignored). Only the project's locked dependencies are used.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python bench/run.py): import the package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

from bench.common import (
    CATALOGUE,
    DISTURBED_CORES,
    HEAVY_MODULES,
    PAIR_BELOW_S,
    PYCACHE,
    QUARTER,
    RESULTS,
    ROOT,
    WORK,
    cli,
    internal,
    run_json,
)
from bench.floor import floor, merge_floor
from bench.generate import correct_return, generate, restore_return
from bench.measure import again_if_disturbed, measure, median_wall, observed
from bench.report import NOTES, goals, markdown
from bench.stages import stages

CORRECTED_AGENCY = "redcar_csc"  # the agency that resends its return for QUARTER


def warm_pdf(returns_dir: Path, out_dir: Path) -> dict[str, Any]:
    """One small tagged PDF/UA-1 page in the pack's stylesheet, through the build's own
    write_pdf: compiles what WeasyPrint and its font subsetting import, fills fontconfig's
    cache."""
    from tees_dataset.render.pdf import templates_dir, write_pdf

    css = (templates_dir() / "pack.css").read_text(encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    write_pdf(f"<style>{css}</style><h1>Tees</h1><p>warm-up 12.5%</p>", out_dir / "warm.pdf")
    return {"wall_s": time.perf_counter() - start}


INTERNAL: dict[str, Callable[[Path, Path], dict[str, Any]]] = {
    "stages": stages,
    "floor": floor,
    "warm-pdf": warm_pdf,
}


def sources_sha256() -> str:
    """One digest of the code, templates and catalogue being measured: another engineer may be
    editing them while the benchmark runs, and a result should say when that happened."""
    digest = hashlib.sha256()
    names = ["indicators.yaml", "pyproject.toml", "uv.lock"]
    names += sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tees_dataset").rglob("*.py"))
    names += sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*") if p.is_file()
    )
    for name in names:
        path = ROOT / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    return digest.hexdigest()


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return proc.stdout.strip()

    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            name: version(name)
            for name in ("tees-dataset", "polars", "weasyprint", "fastexcel", "openpyxl")
        },
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "sources_sha256": sources_sha256(),
    }


def bytecode_cache(enabled: bool) -> dict[str, Any]:
    """Let every process the benchmark starts keep compiled bytecode, under bench/work/.

    With PYTHONDONTWRITEBYTECODE set and no __pycache__ in the venv (uv does not compile on
    install), each process compiles every module it imports from source, which a server that
    runs the tool more than once does not pay. PYTHONPYCACHEPREFIX keeps .pyc files out of the
    source tree.
    """
    inherited = {k: os.environ.get(k) for k in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    if enabled:
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return {"enabled": enabled, "prefix": str(PYCACHE) if enabled else None, "inherited": inherited}


PRODUCED = re.compile(r"Produced</th><td>[^<]*</td>")


def pack_contents(folder: Path) -> dict[str, str]:
    """Each pack's HTML, the time it was produced left out."""
    return {
        path.stem: PRODUCED.sub("", path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.html"))
    }


def build_command(returns_dir: Path, out_dir: Path, log_json: Path | None = None) -> list[str]:
    logging = ["--log-format", "json", "--log-file", str(log_json)] if log_json else []
    return [
        *cli(), *logging, "build", "--quarter", QUARTER, "--returns", str(returns_dir),
        "--out", str(out_dir), "--catalogue", str(CATALOGUE), "--html",
    ]  # fmt: skip


def log_events(log_json: Path) -> list[dict[str, Any]]:
    """The build's JSON log, one event a line."""
    if not log_json.is_file():
        return []
    events = []
    for line in log_json.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def logged_stages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The build's own stage timings (stages that ended), in order."""
    return [
        {"stage": e["stage"], "seconds": e.get("seconds")}
        for e in events
        if e.get("event") == "end" and "stage" in e
    ]


def quarters_read(events: list[dict[str, Any]]) -> list[str]:
    """The quarters the build's log says it read returns for."""
    from tees_dataset.quarter import Quarter

    out: list[str] = []
    for e in events:
        found = re.search(
            r"reading returns for (\d{4}Q[1-4])(?: to (\d{4}Q[1-4]))?", e.get("stage", "")
        )
        if e.get("event") == "end" and found:
            out += [str(q) for q in Quarter.parse_range(f"{found[1]}..{found[2] or found[1]}")]
    return out


def outputs(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every output file of a build: size, modification time and sha256."""
    return {
        str(p.relative_to(folder)): (
            p.stat().st_size,
            p.stat().st_mtime_ns,
            hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def warm_up() -> float:
    """Fills the bytecode and font caches so that the first measurement does not pay for them,
    without a build's PDF renders: `--help`, `check`, the stage run at scale 1 (every module a
    build imports, its reading, computing and HTML) and one small tagged PDF."""
    start = time.perf_counter()
    returns_dir = WORK / "scale-1" / "returns"
    generate(1.0, returns_dir)
    for command in ([*cli(), "--help"], [*cli(), "check", str(CATALOGUE)]):
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    run_json(internal("stages", returns_dir, WORK / "warmup" / "stages"))
    run_json(internal("warm-pdf", returns_dir, WORK / "warmup"))
    return time.perf_counter() - start


def read_ahead(returns_dir: Path) -> dict[str, Any]:
    """Every return file read once as bytes, so that the build and the floor both find them in
    the page cache (as a server finds returns just received), not one of them on disk."""
    start = time.perf_counter()
    size = sum(len(p.read_bytes()) for p in sorted(returns_dir.rglob("*")) if p.is_file())
    return {"bytes": size, "wall_s": round(time.perf_counter() - start, 2)}


def startup() -> dict[str, Any]:
    """`--help`, `check`, and what importing the CLI module drags in."""
    command = cli()
    probe = (
        "import json, sys, time; t = time.perf_counter(); import tees_dataset.cli; "
        "s = time.perf_counter() - t; "
        f"print(json.dumps({{'import_s': s, 'loaded': {{m: m in sys.modules for m in {HEAVY_MODULES!r}}}}}))"
    )
    imports = run_json(["-c", probe])
    importtime = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import tees_dataset.cli"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    # Lines read "import time: self | cumulative | <indent>name"; depth is the indent / 2.
    children = []
    for line in importtime.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()[1:]  # one space follows the bar
            depth = (len(name) - len(name.lstrip())) // 2
            if depth <= 1:
                children.append((int(parts[1]), name.strip()))
    top = [{"module": n, "cumulative_ms": round(us / 1000, 1)} for us, n in sorted(children)[::-1]]
    return {
        "command": command,
        "help": median_wall([*command, "--help"]),
        "check": median_wall([*command, "check", str(CATALOGUE)]),
        "python_bare": median_wall([sys.executable, "-c", "pass"]),
        "import_cli": {
            "import_s": round(imports["import_s"], 3),
            "heavy_modules_loaded": imports["loaded"],
            "slowest": top[:8],
        },
    }


def bench_scale(scale: float, quiet_wait: float) -> dict[str, Any]:
    name = f"{scale:g}"
    base = WORK / f"scale-{name}"
    returns_dir, out_dir, logs = base / "returns", base / "out", base / "logs"

    def say(text: str) -> None:
        print(f"[scale {name}] {text}", file=sys.stderr, flush=True)

    say("generating returns")
    generation = generate(scale, returns_dir)
    say(f"generation {generation['wall_s']} s (reused: {generation['reused']})")
    generation["read_ahead"] = read_ahead(returns_dir)

    def run_internal(part: str, out: Path) -> dict[str, Any]:
        """One internal measurement in a fresh process, with the machine's load meanwhile."""
        found, load = observed(lambda: run_json(internal(part, returns_dir, out)), quiet_wait)
        found["load"] = load
        return found

    def build(n: int, label: str) -> dict[str, Any]:
        say(label)
        log_json = logs / f"build-{n}.jsonl"
        log_json.unlink(missing_ok=True)
        run = measure(build_command(returns_dir, out_dir, log_json), logs / f"build-{n}.log", quiet_wait)  # fmt: skip
        if run["rc"] not in (0, 1):
            raise RuntimeError(f"the build failed ({run['rc']}); see {run['log']}")
        events = log_events(log_json)
        run["logged_stages"] = logged_stages(events)
        run["quarters_read"] = quarters_read(events)
        run["reused"] = next((e for e in events if e.get("event") == "reused"), None)
        run["says_unchanged"] = any(e.get("event") == "unchanged" for e in events)
        cache = out_dir / ".cache"
        run["cache_bytes"] = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
        say(f"{run['wall_s']:.1f} s, {run['peak_rss_mb']:.0f} MB largest process, "
            f"{run['peak_total_rss_mb']:.0f} MB all processes, "
            f"others {run['load']['others_cores']} cores")  # fmt: skip
        return run

    # A build from an empty --out (cold caches), then the floor on the HTML it wrote; each
    # taken once more, the faster kept, only when other processes disturbed it. Then the build
    # over the unchanged returns, and after one agency corrects its return; last the stages in
    # one process.
    shutil.rmtree(logs, ignore_errors=True)
    runs: list[dict[str, Any]] = []

    def cold() -> dict[str, Any]:
        shutil.rmtree(out_dir, ignore_errors=True)
        runs.append(build(len(runs) + 1, "build" if not runs else "build again"))
        return runs[-1]

    again_if_disturbed(cold, lambda run: run["load"], quiet_wait)

    def floor_run() -> dict[str, Any]:
        say("floor: the files the build read, as text; its packs rendered at once")
        found = run_internal("floor", out_dir / QUARTER)
        say(f"{found['read_s'] + found['pdf_tagged_concurrent_s']:.1f} s, "
            f"others {found['load']['others_cores']} cores")  # fmt: skip
        return found

    floors = again_if_disturbed(floor_run, lambda found: found["load"], quiet_wait)
    if len(runs) == 1 and runs[0]["wall_s"] < PAIR_BELOW_S:  # a short build: a second pair
        cold()
        floors.append(floor_run())
    first = min(runs, key=lambda run: run["wall_s"])
    before = outputs(out_dir / QUARTER)
    again = build(len(runs) + 1, "re-run, unchanged returns")
    after = outputs(out_dir / QUARTER)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    unchanged_check = {
        "says_unchanged": again["says_unchanged"],
        "outputs_untouched": not changed,
        "outputs_changed": len(changed),
        "changed": changed[:10],
    }
    say(f"{CORRECTED_AGENCY} corrects its {QUARTER} return")
    packs_before = pack_contents(out_dir / QUARTER)
    corrected = correct_return(returns_dir, CORRECTED_AGENCY, QUARTER)
    try:
        corrected |= build(len(runs) + 2, "re-run after the corrected return")
    finally:
        restore_return(returns_dir, CORRECTED_AGENCY, QUARTER)
    packs_after = pack_contents(out_dir / QUARTER)
    # A pack whose content the correction changed (its HTML, but for the time it was produced).
    corrected["packs_changed"] = sorted(
        name for name in packs_before.keys() | packs_after.keys()
        if packs_before.get(name) != packs_after.get(name)
    )  # fmt: skip
    say("stages in one process (no PDF)")
    staged = run_internal("stages", base / "stages")
    floored = merge_floor(floors)
    floored["load"] = [found["load"] for found in floors]
    floored["floor_tagged_concurrent_s"] = floored["read_s"] + floored["pdf_tagged_concurrent_s"]
    return {
        "scale": scale,
        "generation": generation,
        "build": first,
        "cold_builds_wall_s": [round(run["wall_s"], 2) for run in runs],
        "cold_builds_others_cores": [run["load"]["others_cores"] for run in runs],
        "build_again": again,
        "unchanged_check": unchanged_check,
        "corrected": corrected,
        "stages": staged,
        "floor": floored,
        # The target: the build against the floor rendering as the build must (tagged PDF/UA-1,
        # the packs at the same time on the machine's CPUs).
        "build_over_floor": first["wall_s"] / floored["floor_tagged_concurrent_s"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated, e.g. 1,10,100")
    parser.add_argument("--quick", action="store_true", help="scale 1 only (a smoke run)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=5,
        help="seconds to wait at most for other processes to go quiet before each measurement "
        "(a machine busy for that long is usually busy for longer: the load is recorded instead)",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as inherited (every process compiles from source)",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="where to write the results (JSON)"
    )
    parser.add_argument(
        "--report", action="store_true", help="print the summary of bench/results.json and exit"
    )
    parser.add_argument("--internal", choices=sorted(INTERNAL), help=argparse.SUPPRESS)
    parser.add_argument("--returns", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.internal:
        print(json.dumps(INTERNAL[args.internal](args.returns, args.out)))
        return 0
    if args.report:  # the goals judged again from the measurements kept
        kept: dict[str, Any] = json.loads(args.output.read_text(encoding="utf-8"))
        kept["goals"] = goals(kept) if kept.get("scales") else []
        print(markdown(kept))
        return 0
    started = time.perf_counter()
    scales = [1.0] if args.quick else [float(s) for s in args.scales.split(",") if s.strip()]
    WORK.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "notes": NOTES}
    results["bytecode_cache"] = bytecode_cache(not args.no_bytecode_cache)
    results["settings"] = {
        "quiet_wait_s": args.quiet_wait,
        "disturbed_cores": DISTURBED_CORES,
        "pair_below_s": PAIR_BELOW_S,
    }
    print(
        "[warm-up] --help, check, the stages and a small PDF at scale 1",
        file=sys.stderr,
        flush=True,
    )
    results["warm_up_s"] = round(warm_up(), 1)
    print("[startup] --help, check, imports", file=sys.stderr, flush=True)
    results["startup"], results["startup_load"] = observed(startup, args.quiet_wait)
    print(f"[warm-up {results['warm_up_s']} s; startup done at "
          f"{time.perf_counter() - started:.0f} s]", file=sys.stderr, flush=True)  # fmt: skip
    results["scales"] = []

    def write() -> None:
        results["goals"] = goals(results)
        results["total_s"] = round(time.perf_counter() - started, 1)
        args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    for scale in scales:
        begun = time.perf_counter()
        results["scales"].append(bench_scale(scale, args.quiet_wait))
        results["scales"][-1]["bench_s"] = round(time.perf_counter() - begun, 1)
        write()
        print(f"[scale {scale:g} done at {results['total_s']:.0f} s]", file=sys.stderr, flush=True)
    results["sources_changed_during_run"] = sources_sha256() != results["machine"]["sources_sha256"]
    write()
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
