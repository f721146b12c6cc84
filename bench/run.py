"""Benchmark of a full quarterly build at growing volumes of returns.

Usage (from the repository root)::

    uv run python bench/run.py                 # scales 1, 10 and 100
    uv run python bench/run.py --scales 1,10   # chosen scales
    uv run python bench/run.py --quick         # scale 1 only: a smoke run
    uv run python bench/run.py --report        # the summary of bench/results.json again

``--output PATH`` writes the results elsewhere (``--report --output PATH`` reads them from
there); ``--quiet-wait S`` and ``--no-bytecode-cache`` are explained by ``--help``.

For each scale N it:

1. generates synthetic returns for the 8 quarters 2022Q4..2024Q3 with
   ``tees_dataset.returns.sample.write_samples(..., seed=1, scale=N)`` into
   ``bench/work/scale-N/returns``, one quarter per process (each agency, quarter and return has
   its own seeded stream, so the files are those one call for all quarters writes). They are
   reused when a marker file says they were made for the same scale, seed, quarters and
   generator sources. Generation is timed on its own and is not part of the build;
2. times ``tees-dataset build --quarter 2024Q3 --html`` as a subprocess: wall time, CPU time and
   peak RSS of the build and every process it waited for (its PDF render pool included), then
   the same build again over the unchanged returns (to show whether anything is cached);
3. times the build's stages in a fresh process: the real ``run_build`` (cache off, the two packs
   rendered one after the other) with a stopwatch around each step it calls (``load_quarters``
   per batch of quarters and ``compute_quarter`` per quarter, validation reports, CSVs, dataset workbook, HTML and PDF
   per partnership, manifest), wall and CPU, and the process's peak RSS after each step;
4. measures a floor: every sheet of every return file read as text with plain fastexcel (no
   validation), plus WeasyPrint rendering the build's own HTML, each pack alone and all at once;
   reports build / floor.

Once per run it also times ``tees-dataset --help`` and ``tees-dataset check`` (median of 5),
and records which heavy libraries ``import tees_dataset.cli`` pulls in.

The machine may be shared: before each measurement the benchmark waits (up to --quiet-wait
seconds) until other processes use almost no CPU, and it records how much CPU others used
during each measurement, and the hypervisor's steal (from /proc/stat), so a contended number
can be recognised.

Everything goes to ``bench/results.json``; a markdown summary goes to stdout. Scratch output
lives under ``bench/work/`` (git-ignored). Only the project's locked dependencies are used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results.json"
PYCACHE = WORK / "pycache"
CATALOGUE = ROOT / "indicators.yaml"
QUARTER = "2024Q3"
QUARTERS = "2022Q4..2024Q3"
SEED = 1
MARKER = ".bench-generated.json"
REPEATS = 5
# Files whose contents decide what the generator writes: a change to any regenerates.
GENERATOR_SOURCES = (
    "indicators.yaml",
    "tees_dataset/returns/sample.py",
    "tees_dataset/returns/template.py",
    "tees_dataset/returns/workbook.py",
)
HEAVY_MODULES = (
    "polars",
    "weasyprint",
    "fastexcel",
    "pandera",
    "openpyxl",
    "jinja2",
    "pydantic",
    "yaml",
    "holidays",
)
T = TypeVar("T")
QUARTER_SUFFIX = re.compile(r"\s+(for\s+)?\d{4}Q[1-4]( to \d{4}Q[1-4])?$")

# Runs a command as its only child and reports the child tree's wall time, CPU and peak RSS.
# ru_maxrss of RUSAGE_CHILDREN is the largest RSS of any descendant that was waited for, so a
# fresh wrapper per measurement isolates one build. The wrapper is a child subreaper (Linux):
# processes the build leaves to end after it (its render pool's fork server, which waits for the
# workers) become the wrapper's, and it waits for them, so their CPU and memory count too.
_WRAPPER = """
import ctypes, json, os, resource, subprocess, sys, time

try:
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
except (OSError, AttributeError):
    pass


def tree_rss_kb(root):
    # Resident memory of `root` and every process under it, summed (Linux /proc).
    parent, rss = {}, {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(pid)], rss[int(pid)] = int(fields[1]), int(fields[21])
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    tree = {root}
    for _ in range(8):  # the build, its render workers, and anything they start
        tree |= {pid for pid, ppid in parent.items() if ppid in tree}
    return sum(rss.get(pid, 0) for pid in tree) * page_kb


log = open(sys.argv[1], "wb")
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT)
peak_tree = 0
while child.poll() is None:
    try:
        peak_tree = max(peak_tree, tree_rss_kb(child.pid))
    except OSError:
        pass
    time.sleep(0.1)
rc = child.returncode
wall = time.perf_counter() - start
deadline = time.monotonic() + 30
while time.monotonic() < deadline:  # what the build left to end after it
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid == 0:
        time.sleep(0.05)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "wall_s": wall, "peak_rss_kb": usage.ru_maxrss,
                  "peak_tree_rss_kb": peak_tree, "cpu_s": usage.ru_utime + usage.ru_stime}))
"""


# --------------------------------------------------------------------------------------------
# helpers


def _cli() -> list[str]:
    """The venv's console script, as a user runs it; else the same entry point via -c."""
    script = Path(sys.executable).parent / "tees-dataset"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from tees_dataset.cli import main; main()"]


def _max_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_fields() -> list[int] | None:
    """The machine's `cpu` line of /proc/stat (None off Linux)."""
    try:
        return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None


def _busy_cpu_s() -> float | None:
    """CPU seconds the whole machine has been busy since boot, or the hypervisor has taken
    from it (steal)."""
    fields = _cpu_fields()
    if fields is None:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _steal_s() -> float:
    fields = _cpu_fields()
    return fields[7] / os.sysconf("SC_CLK_TCK") if fields and len(fields) > 7 else 0.0


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_until_quiet(limit_s: float, threshold_cores: float = 0.15) -> dict[str, Any]:
    """Wait until other processes use under `threshold_cores` for 2 s in a row, at most limit_s."""
    start = time.perf_counter()
    quiet = 0
    last = 0.0
    while time.perf_counter() - start < limit_s:
        before = _busy_cpu_s()
        time.sleep(1.0)
        after = _busy_cpu_s()
        if before is None or after is None:
            return {"waited_s": 0.0, "quiet": None}
        last = after - before
        quiet = quiet + 1 if last < threshold_cores else 0
        if quiet >= 2:
            return {"waited_s": round(time.perf_counter() - start, 1), "quiet": True}
    return {
        "waited_s": round(time.perf_counter() - start, 1),
        "quiet": False,
        "others_cores": round(last, 2),
    }


def observed(run: Callable[[], T], quiet_wait: float) -> tuple[T, dict[str, Any]]:
    """Run `run` (which starts subprocesses), noting how much CPU everything else used meanwhile."""
    waited = wait_until_quiet(quiet_wait)
    busy, own, steal = _busy_cpu_s(), _children_cpu_s(), _steal_s()
    start = time.perf_counter()
    result = run()
    wall = time.perf_counter() - start
    busy_after = _busy_cpu_s()
    load: dict[str, Any] = {"wait": waited}
    if busy is not None and busy_after is not None:
        others = max(0.0, (busy_after - busy) - (_children_cpu_s() - own))
        load["others_cpu_s"] = round(others, 1)  # other processes, and steal
        load["others_cores"] = round(others / wall, 2) if wall else 0.0
        load["steal_s"] = round(_steal_s() - steal, 1)
    return result, load


def _run_json(args: list[str]) -> dict[str, Any]:
    """Run a Python subprocess that prints one JSON object as its last line of stdout."""
    proc = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args[:3])} failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure(command: list[str], log: Path, quiet_wait: float) -> dict[str, Any]:
    """Wall time, CPU, exit code and peak RSS (MB) of `command` and everything it waited for."""
    log.parent.mkdir(parents=True, exist_ok=True)
    out, load = observed(lambda: _run_json(["-c", _WRAPPER, str(log), *command]), quiet_wait)
    out["peak_rss_mb"] = round(out.pop("peak_rss_kb") / 1024, 1)
    out["peak_total_rss_mb"] = round(out.pop("peak_tree_rss_kb", 0) / 1024, 1)
    out["load"] = load
    out["log"] = str(log.relative_to(ROOT))
    return out


def _median_wall(command: list[str], repeats: int = REPEATS) -> dict[str, Any]:
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


# --------------------------------------------------------------------------------------------
# generation


def _fingerprint(scale: float) -> dict[str, Any]:
    digest = hashlib.sha256()
    for name in GENERATOR_SOURCES:
        path = ROOT / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    return {"scale": scale, "seed": SEED, "quarters": QUARTERS, "sources": digest.hexdigest()}


def _generate_quarter(quarter: str, out_dir: str, scale: float) -> tuple[str, int, float]:
    """One quarter's returns for every agency (runs in a worker process)."""
    from tees_dataset.catalogue import load_catalogue
    from tees_dataset.quarter import Quarter
    from tees_dataset.returns.sample import write_samples

    start = time.perf_counter()
    catalogue = load_catalogue(CATALOGUE).catalogue
    assert catalogue is not None, "the catalogue has errors: run `tees-dataset check`"
    paths = write_samples(
        catalogue, [Quarter.parse(quarter)], Path(out_dir), seed=SEED, scale=scale
    )
    return quarter, len(paths), time.perf_counter() - start


def generate(scale: float, returns_dir: Path) -> dict[str, Any]:
    """Synthetic returns for the 8 quarters at `scale`, reused when the marker matches."""
    from tees_dataset.quarter import Quarter

    marker = returns_dir / MARKER
    wanted = _fingerprint(scale)
    if marker.is_file():
        previous = json.loads(marker.read_text(encoding="utf-8"))
        if previous.get("fingerprint") == wanted:
            return {**previous["generation"], "reused": True}
    shutil.rmtree(returns_dir, ignore_errors=True)
    returns_dir.mkdir(parents=True)
    quarters = [str(q) for q in Quarter.parse_range(QUARTERS)]
    workers = min(len(quarters), os.cpu_count() or 1)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        done = list(
            pool.map(
                _generate_quarter,
                quarters,
                [str(returns_dir)] * len(quarters),
                [scale] * len(quarters),
            )
        )
    files = sorted(returns_dir.rglob("*.xlsx"))
    generation = {
        "wall_s": round(time.perf_counter() - start, 1),
        "workers": workers,
        "per_quarter_s": {q: round(s, 1) for q, _, s in done},
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "largest_file_bytes": max((p.stat().st_size for p in files), default=0),
        "how": (
            f"write_samples(catalogue, [quarter], out, seed={SEED}, scale={scale:g}) for each "
            f"of the 8 quarters {QUARTERS}, one quarter per process ({workers} processes)"
        ),
    }
    marker.write_text(
        json.dumps({"fingerprint": wanted, "generation": generation}, indent=2), encoding="utf-8"
    )
    return {**generation, "reused": False}


# --------------------------------------------------------------------------------------------
# in-process stage timings (run in a fresh process: `run.py --internal stages ...`)


def stages(returns_dir: Path, out_dir: Path) -> dict[str, Any]:
    """The real build, run in this process with its steps timed.

    `run_build` runs unchanged except that: its cache of earlier quarters is off (every quarter
    is read), the packs are rendered one after another here instead of in a process pool, and
    the functions it calls for each step are wrapped with a stopwatch (wall and CPU seconds,
    and the process's peak RSS after the step). What is not wrapped is reported as `other`.
    """
    clock, per_step = Clock(), Clock()
    rss: dict[str, float] = {}
    with clock("import"):
        import dataclasses

        import tees_dataset.build as build
        import tees_dataset.compute as compute
        import tees_dataset.render.pdf as pdf
        import tees_dataset.render.xlsx as xlsx
        import tees_dataset.returns as returns
        from tees_dataset.catalogue import load_catalogue
        from tees_dataset.quarter import Quarter
    with clock("import_weasyprint"):  # write_pdf imports it lazily; kept out of the render
        import weasyprint  # noqa: F401
    rss["after_import"] = _max_rss_mb()

    def timed(
        module: Any,
        name: str,
        step: str,
        label: Callable[..., str] | None = None,
        seen: Callable[[Any], None] | None = None,
    ) -> None:
        """Wrap module.name so each call is added to `step` (and to `label(*args)` alone)."""
        original = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with clock(step), per_step(label(*args, **kwargs) if label else step):
                result = original(*args, **kwargs)
            rss[f"after_{step}"] = _max_rss_mb()
            if seen is not None:
                seen(result)
            return result

        setattr(module, name, wrapper)

    frames: dict[str, int] = {}

    def count_rows(result: Any) -> None:
        for one in result if isinstance(result, list) else [result]:
            frames[str(one.quarter)] = sum(f.height for f in one.frames.values())

    def quarters_read(*a: Any, **k: Any) -> str:
        quarters = arg(a, k, 1, "quarters")
        if not isinstance(quarters, list):
            return f"read {quarters}"
        return f"read {quarters[0]}" + (f" to {quarters[-1]}" if len(quarters) > 1 else "")

    def arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
        return args[index] if len(args) > index else kwargs.get(name)

    timed(
        returns,
        "load_quarters" if hasattr(returns, "load_quarters") else "load_quarter",
        "read",
        quarters_read,
        count_rows,
    )
    timed(
        compute,
        "compute_quarter",
        "compute",
        lambda *a, **k: f"compute {getattr(arg(a, k, 1, 'inputs'), 'quarter', '?')}",
    )
    timed(build, "write_validation_reports", "validation_reports")
    timed(build, "_write_results_csv", "csv")
    timed(xlsx, "write_dataset_workbook", "dataset_workbook")
    timed(build, "_write_manifest", "manifest")
    timed(
        pdf,
        "render_html",
        "render",
        lambda *a, **k: f"html {getattr(arg(a, k, 0, 'context'), 'partnership_id', '?')}",
    )
    timed(pdf, "write_pdf", "render", lambda *a, **k: f"pdf {Path(arg(a, k, 1, 'target')).stem}")

    def render_in_turn(
        contexts: list[Any], staging: Path, *, html: bool, meanwhile: Any = None, **_: Any
    ) -> None:
        for context in contexts:
            name = f"{context.partnership_id}-{context.quarter}"
            pdf.render_pack(
                context, staging / f"{name}.pdf", staging / f"{name}.html" if html else None
            )
        if meanwhile:
            meanwhile()

    build._render_all = render_in_turn
    if hasattr(build, "_start_render_pool"):  # one process: no render workers
        build._start_render_pool = lambda packs: None

    with clock("catalogue"):
        loaded = load_catalogue(CATALOGUE)
    fields = {f.name for f in dataclasses.fields(build.BuildOptions)}
    wanted: dict[str, Any] = {"html": True, "cache": False}
    options = build.BuildOptions(
        Quarter.parse(QUARTER),
        returns_dir,
        out_dir,
        **{k: v for k, v in wanted.items() if k in fields},
    )
    shutil.rmtree(out_dir, ignore_errors=True)
    with clock("run_build"):
        outcome = build.run_build(loaded, options)
    timed_steps = ("read", "compute", "validation_reports", "csv", "dataset_workbook", "render",
                   "manifest")  # fmt: skip
    other = clock.wall["run_build"] - sum(clock.wall.get(k, 0.0) for k in timed_steps)
    steps = clock.as_dict()
    steps["other"] = {"wall_s": round(other, 3)}
    for pid in sorted({k.split(" ", 1)[1] for k in per_step.wall if k.startswith("html ")}):
        wall = per_step.wall[f"html {pid}"] + per_step.wall.get(f"pdf {pid}-{QUARTER}", 0.0)
        steps[f"render {pid}"] = {"wall_s": round(wall, 3)}
    issues = outcome.issues
    html_bytes = {p.stem: p.stat().st_size for p in (out_dir / QUARTER).glob(f"*-{QUARTER}.html")}
    return {
        "stages": steps,
        "per_quarter": per_step.as_dict(),
        "html_bytes": html_bytes,
        "peak_rss_mb_after": rss,
        "exit_code": outcome.exit_code,
        "accepted_rows_per_quarter": frames,
        "accepted_rows": sum(frames.values()),
        "issues": {
            "errors": sum(1 for i in issues if i.level.value == "error"),
            "warnings": sum(1 for i in issues if i.level.value != "error"),
            "codes": sorted({i.code for i in issues}),
        },
        "missing": outcome.missing[:20],
    }


# --------------------------------------------------------------------------------------------
# floor (run in a fresh process: `run.py --internal floor ...`)


def floor_read(returns_dir: Path, html_dir: Path) -> dict[str, Any]:
    """The least reading can cost: every sheet of every return file as text, no validation.

    Run twice, the faster run kept (a floor should not carry noise).
    """
    clock = Clock()
    with clock("import fastexcel+polars"):
        import fastexcel
        import polars  # noqa: F401  (to_polars needs it)

    files = sorted(p for p in returns_dir.rglob("*.xlsx") if p.parent.name[:4].isdigit())
    reads: list[tuple[float, float]] = []
    raw_rows = sheets = 0
    for _ in range(2):
        raw_rows = sheets = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for path in files:
            reader = fastexcel.read_excel(path)
            for name in reader.sheet_names:
                frame = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
                raw_rows += frame.height
                sheets += 1
        reads.append((time.perf_counter() - wall, time.process_time() - cpu))
    read_s, read_cpu_s = min(reads)
    return {
        "files": len(files),
        "sheets": sheets,
        "raw_rows": raw_rows,
        "read_s": read_s,
        "read_cpu_s": read_cpu_s,
        "imports": clock.as_dict(),
    }


def floor_pdf(returns_dir: Path, html_dir: Path) -> dict[str, Any]:
    """The least the packs can cost: WeasyPrint laying out the build's own HTML.

    Plain `write_pdf()`, and with the build's settings (locked-down fetcher, tagged PDF/UA-1),
    each pack alone and then all at once. One run of each: the benchmark runs this twice,
    between its two builds, and keeps the faster of each (see `_merge_floor_pdf`).
    """
    clock = Clock()
    with clock("import weasyprint"):
        import weasyprint

        from tees_dataset.render.pdf import _asset_fetcher, templates_dir

    base_url = str(templates_dir()) + "/"
    pdf: dict[str, dict[str, float]] = {}
    for html_path in sorted(html_dir.glob(f"*-{QUARTER}.html")):
        html = html_path.read_text(encoding="utf-8")
        t = time.perf_counter()
        weasyprint.HTML(string=html, base_url=base_url).write_pdf()
        plain = time.perf_counter() - t
        t = time.perf_counter()
        weasyprint.HTML(string=html, base_url=base_url, url_fetcher=_asset_fetcher()).write_pdf(
            pdf_variant="pdf/ua-1", pdf_tags=True
        )
        tagged = time.perf_counter() - t
        pdf[html_path.stem] = {
            "plain_s": plain,
            "tagged_ua1_s": tagged,
            "html_bytes": len(html.encode()),
        }
    if not pdf:
        raise RuntimeError(f"no pack HTML in {html_dir}: the build did not write --html")
    concurrent = _concurrent_tagged(sorted(html_dir.glob(f"*-{QUARTER}.html")))
    return {"pdf": pdf, "pdf_tagged_concurrent_s": concurrent, "imports": clock.as_dict()}


def _merge_floor_pdf(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The faster of each floor-pdf measurement over several runs of it."""
    pdf = {
        name: {
            "plain_s": min(r["pdf"][name]["plain_s"] for r in runs),
            "tagged_ua1_s": min(r["pdf"][name]["tagged_ua1_s"] for r in runs),
            "html_bytes": runs[-1]["pdf"][name]["html_bytes"],
        }
        for name in runs[0]["pdf"]
    }
    concurrent = [r["pdf_tagged_concurrent_s"] for r in runs if r["pdf_tagged_concurrent_s"]]
    return {
        "pdf": pdf,
        "pdf_runs": len(runs),
        "pdf_tagged_concurrent_s": min(concurrent) if concurrent else None,
        "pdf_sequential_s": sum(p["plain_s"] for p in pdf.values()),
        "pdf_parallel_s": max(p["plain_s"] for p in pdf.values()),
        "pdf_tagged_sequential_s": sum(p["tagged_ua1_s"] for p in pdf.values()),
        "pdf_tagged_parallel_s": max(p["tagged_ua1_s"] for p in pdf.values()),
    }


def _floor_worker_ready() -> None:
    import weasyprint

    weasyprint.HTML(string="<p>floor</p>").write_pdf()


def _floor_render_tagged(html_path: str) -> float:
    import weasyprint

    from tees_dataset.render.pdf import _asset_fetcher, templates_dir

    html = Path(html_path).read_text(encoding="utf-8")
    started = time.perf_counter()
    weasyprint.HTML(
        string=html, base_url=str(templates_dir()) + "/", url_fetcher=_asset_fetcher()
    ).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    return time.perf_counter() - started


def _concurrent_tagged(html_paths: list[Path]) -> float | None:
    """Every pack rendered at the same time, one process each with WeasyPrint already loaded
    (as the build renders them), up to the machine's CPUs: the wall time until the last is
    done. None when there is one pack or one CPU."""
    workers = min(len(html_paths), os.cpu_count() or 1)
    if workers < 2:
        return None
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_floor_worker_ready
    ) as pool:
        list(pool.map(time.sleep, [0.5] * workers))  # every worker started and ready
        started = time.perf_counter()
        list(pool.map(_floor_render_tagged, [str(p) for p in html_paths]))
        return time.perf_counter() - started


# --------------------------------------------------------------------------------------------
# the run


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
            for name in ("tees-dataset", "polars", "weasyprint", "fastexcel", "openpyxl", "pandera")
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


def features() -> dict[str, bool]:
    """Options the installed tool has (the build is changing under the benchmark)."""

    def helps(*args: str) -> str:
        env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
        proc = subprocess.run(
            [*_cli(), *args, "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        return proc.stdout

    top, build = helps(), helps("build")
    return {
        "log_file": "--log-file" in top and "--log-format" in top,
        "cache": "--no-cache" in build,
    }


def _build_command(returns_dir: Path, out_dir: Path, log_json: Path | None = None) -> list[str]:
    logging = ["--log-format", "json", "--log-file", str(log_json)] if log_json else []
    return [
        *_cli(), *logging, "build", "--quarter", QUARTER, "--returns", str(returns_dir),
        "--out", str(out_dir), "--catalogue", str(CATALOGUE), "--html",
    ]  # fmt: skip


def logged_stages(log_json: Path) -> list[dict[str, Any]]:
    """The build's own stage timings from its JSON log (stages that ended), in order."""
    if not log_json.is_file():
        return []
    out = []
    for line in log_json.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "end" and "stage" in event:
            out.append({"stage": event["stage"], "seconds": event.get("seconds")})
    return out


def _tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def warm_up() -> float:
    """One unmeasured build at scale 1 (and the other commands): fills the bytecode, font and
    page caches so that the first measurement does not pay for them."""
    start = time.perf_counter()
    returns_dir = WORK / "scale-1" / "returns"
    generate(1.0, returns_dir)
    out_dir = WORK / "warmup" / "out"
    shutil.rmtree(out_dir, ignore_errors=True)
    for command in (
        [*_cli(), "--help"],
        [*_cli(), "check", str(CATALOGUE)],
        _build_command(returns_dir, out_dir),
    ):
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    _run_json(
        [__file__, "--internal", "stages", "--returns", str(returns_dir), "--out",
         str(WORK / "warmup" / "stages")]
    )  # fmt: skip
    return time.perf_counter() - start


def startup() -> dict[str, Any]:
    """`--help`, `check`, and what importing the CLI module drags in."""
    cli = _cli()
    probe = (
        "import json, sys, time; t = time.perf_counter(); import tees_dataset.cli; "
        "s = time.perf_counter() - t; "
        f"print(json.dumps({{'import_s': s, 'loaded': {{m: m in sys.modules for m in {HEAVY_MODULES!r}}}}}))"
    )
    imports = _run_json(["-c", probe])
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
        "command": cli,
        "help": _median_wall([*cli, "--help"]),
        "check": _median_wall([*cli, "check", str(CATALOGUE)]),
        "python_bare": _median_wall([sys.executable, "-c", "pass"]),
        "import_cli": {
            "import_s": round(imports["import_s"], 3),
            "heavy_modules_loaded": imports["loaded"],
            "slowest": top[:8],
        },
    }


def bench_scale(scale: float, quiet_wait: float, has: dict[str, bool]) -> dict[str, Any]:
    name = f"{scale:g}"
    base = WORK / f"scale-{name}"
    returns_dir, out_dir, logs = base / "returns", base / "out", base / "logs"

    def say(text: str) -> None:
        print(f"[scale {name}] {text}", file=sys.stderr, flush=True)

    say("generating returns")
    generation = generate(scale, returns_dir)
    say(f"generation {generation['wall_s']} s (reused: {generation['reused']})")
    runs = []
    floor_pdfs: list[dict[str, Any]] = []
    loads: list[dict[str, Any]] = []

    def internal(part: str, out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
        """One of this file's internal measurements in a fresh process, and the machine's load."""
        command = [__file__, "--internal", part, "--returns", str(returns_dir), "--out", str(out)]
        return observed(lambda: _run_json(command), quiet_wait)

    def floor_pdf_run() -> None:
        say(f"floor: pdf, run {len(floor_pdfs) + 1}")
        found, load = internal("floor-pdf", out_dir / QUARTER)
        floor_pdfs.append(found)
        loads.append(load)

    # Two builds from an empty --out (cold cache), each followed by a run of the PDF floor, so
    # that a slow spell of the shared machine is as likely to hit either; the faster of each is
    # kept. Then one more build over the unchanged returns, with the cache the last one left.
    for n, label in ((1, "build"), (2, "build again from empty"), (3, "re-run, unchanged returns")):
        say(label)
        if n < 3:
            shutil.rmtree(out_dir, ignore_errors=True)
        log_json = logs / f"build-{n}.jsonl" if has["log_file"] else None
        if log_json:
            log_json.unlink(missing_ok=True)
        run = measure(
            _build_command(returns_dir, out_dir, log_json), logs / f"build-{n}.log", quiet_wait
        )
        if run["rc"] not in (0, 1):
            raise RuntimeError(f"the build failed ({run['rc']}); see {run['log']}")
        run["logged_stages"] = logged_stages(log_json) if log_json else []
        run["cache_bytes"] = _tree_bytes(out_dir / ".cache") if (out_dir / ".cache").is_dir() else 0
        say(f"{run['wall_s']:.1f} s, {run['peak_rss_mb']:.0f} MB largest process, "
            f"{run['peak_total_rss_mb']:.0f} MB all processes")  # fmt: skip
        runs.append(run)
        if n < 3:
            floor_pdf_run()
    first = min(runs[:2], key=lambda run: run["wall_s"])
    again = runs[2]
    say("stages in one process")
    staged, staged_load = internal("stages", base / "stages")
    say("floor: read")
    floored, read_load = internal("floor-read", out_dir / QUARTER)
    imports = floored.pop("imports")
    floored |= _merge_floor_pdf(floor_pdfs)
    floored["imports"] = imports | floor_pdfs[0]["imports"]
    floored["load"] = {"read": read_load, "pdf": loads}
    floored["floor_sequential_s"] = floored["read_s"] + floored["pdf_sequential_s"]
    floored["floor_parallel_s"] = floored["read_s"] + floored["pdf_parallel_s"]
    floored["floor_tagged_parallel_s"] = floored["read_s"] + floored["pdf_tagged_parallel_s"]
    concurrent = floored.get("pdf_tagged_concurrent_s")
    floored["floor_tagged_concurrent_s"] = (
        floored["read_s"] + concurrent if concurrent else floored["floor_tagged_parallel_s"]
    )
    staged["load"] = staged_load
    return {
        "scale": scale,
        "generation": generation,
        "build": first,
        "cold_builds_wall_s": [round(run["wall_s"], 2) for run in runs[:2]],
        "build_again": again,
        "stages": staged,
        "floor": floored,
        # The target: the build against the floor rendering as the build must (tagged PDF/UA-1,
        # the packs at the same time on the machine's CPUs).
        "build_over_floor": first["wall_s"] / floored["floor_tagged_concurrent_s"],
        # The same with each pack's time alone, as if two renders never slowed each other.
        "build_over_floor_ideal": first["wall_s"] / floored["floor_tagged_parallel_s"],
        "build_over_plain_floor": first["wall_s"] / floored["floor_parallel_s"],
        "build_over_floor_sequential": first["wall_s"] / floored["floor_sequential_s"],
    }


def _f(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"Machine: {m['nproc']} CPUs, Python {m['python']}, polars {m['versions']['polars']}, "
        f"WeasyPrint {m['versions']['weasyprint']}, fastexcel {m['versions']['fastexcel']}; "
        f"{m['date']} (commit {m['git_commit'][:8]}{', dirty tree' if m['git_dirty'] else ''}); "
        f"bytecode cache {'on' if results['bytecode_cache']['enabled'] else 'off'}"
        + (
            "; the code or catalogue changed during the run"
            if results.get("sources_changed_during_run")
            else ""
        )
        + ".",
        "",
        "| scale | files | rows read (8 quarters) | build wall s (2 cold runs) | build CPU s "
        "| re-run s | peak RSS MB (largest process / all) "
        "| floor s (packs at once / slower pack alone) | build / floor (packs at once / alone) "
        "| others' CPU, cores | exit |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["scales"]:
        fl, b, a = r["floor"], r["build"], r["build_again"]
        others = f"{b['load'].get('others_cores', '?')} / {a['load'].get('others_cores', '?')}"
        lines.append(
            f"| {r['scale']:g} | {fl['files']} | {fl['raw_rows']:,} raw, "
            f"{r['stages']['accepted_rows']:,} accepted | {_f(b['wall_s'])} "
            f"({' / '.join(_f(x) for x in r['cold_builds_wall_s'])}) | {_f(b['cpu_s'])} "
            f"| {_f(a['wall_s'])} | {b['peak_rss_mb']:.0f} / {b['peak_total_rss_mb']:.0f} "
            f"| {_f(fl['floor_tagged_concurrent_s'])} / {_f(fl['floor_tagged_parallel_s'])} "
            f"| {_f(r['build_over_floor'], 2)}x / "
            f"{_f(r.get('build_over_floor_ideal', r['build_over_floor']), 2)}x "
            f"| {others} | {b['rc']} |"
        )
    lines += [
        "",
        "Stages of the real build in one process, wall seconds (cache off; render = HTML + tagged PDF, "
        "one pack after the other where the build renders both in parallel), against the floor:",
        "",
        "| scale | imports | read 8 q (floor) | compute 8 q | validation reports | CSV "
        "| dataset workbook | other | render HSSCP / STSCP | floor PDF plain / tagged (slower pack) "
        "| peak RSS MB after read / compute / render | generation s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["scales"]:
        st, fl, rss = r["stages"]["stages"], r["floor"], r["stages"]["peak_rss_mb_after"]
        gen = r["generation"]

        def w(key: str, stage: dict[str, Any] = st) -> str:
            return _f(stage[key]["wall_s"]) if key in stage else "-"

        lines.append(
            f"| {r['scale']:g} | {_f(st['import']['wall_s'] + st['import_weasyprint']['wall_s'])} "
            f"| {w('read')} ({_f(fl['read_s'])}) | {w('compute')} | {w('validation_reports')} "
            f"| {w('csv')} | {w('dataset_workbook')} | {w('other')} | {w('render HSSCP')} / {w('render STSCP')} "
            f"| {_f(fl['pdf_parallel_s'])} / {_f(fl['pdf_tagged_parallel_s'])} "
            f"| {rss['after_read']:.0f} / {rss['after_compute']:.0f} / {rss.get('after_render', 0):.0f} "
            f"| {_f(gen['wall_s'])}{' (reused)' if gen['reused'] else ''} |"
        )
    logged = [
        (r["scale"], label, run["logged_stages"])
        for r in results["scales"]
        for label, run in (("first build", r["build"]), ("re-run", r["build_again"]))
        if run.get("logged_stages")
    ]
    if logged:
        lines += ["", "The build's own stage log (seconds):", ""]
        for scale, label, entries in logged:
            # "reading returns for 2024Q3", "computing 2024Q3": one total per kind of stage.
            totals: dict[str, list[float]] = {}
            for entry in entries:
                kind = QUARTER_SUFFIX.sub("", str(entry["stage"]))
                totals.setdefault(kind, []).append(float(entry["seconds"] or 0))
            parts = [
                f"{kind}{f' x{len(secs)}' if len(secs) > 1 else ''} {sum(secs):.1f}"
                for kind, secs in totals.items()
            ]
            lines.append(f"- scale {scale:g}, {label}: " + "; ".join(parts))
    s = results.get("startup")
    if s:
        loaded = [k for k, v in s["import_cli"]["heavy_modules_loaded"].items() if v]
        lines += [
            "",
            f"`tees-dataset --help`: {s['help']['median_s']:.2f} s, `tees-dataset check`: "
            f"{s['check']['median_s']:.2f} s (median of {s['help']['runs']}; bare Python "
            f"{s['python_bare']['median_s']:.2f} s). `import tees_dataset.cli` takes "
            f"{s['import_cli']['import_s']:.2f} s and loads "
            + (", ".join(loaded) if loaded else f"none of {', '.join(HEAVY_MODULES)}")
            + ".",
        ]
    return "\n".join(lines)


NOTES = [
    "build: `tees-dataset build --quarter 2024Q3 --html` run as a subprocess (the venv's "
    "console script) from an empty --out (a cold cache), twice; the faster is kept "
    "(cold_builds_wall_s has both), as the floor keeps its faster run. wall_s and cpu_s (user + "
    "sys of every process) cover the build and its render workers; peak_rss_mb is the largest "
    "RSS of any one of them (RUSAGE_CHILDREN of a wrapper process that runs only that build), "
    "peak_total_rss_mb the largest sum over the build and its workers (sampled every 0.1 s).",
    "build_again: the same build again over unchanged returns into the same --out (with the "
    "build's cache of earlier quarters, when it has one: features.cache; cache_bytes is its "
    "size).",
    "build_over_floor (the target): the build's wall time over the floor that renders the packs "
    "as the build must: tagged PDF/UA-1, both at the same time in processes with WeasyPrint "
    "loaded, as many at once as there are CPUs (floor_tagged_concurrent_s). "
    "build_over_floor_ideal uses the slower pack's time alone instead (floor_tagged_parallel_s), "
    "as if two renders on the machine never slowed each other; build_over_plain_floor the "
    "slower pack with plain write_pdf(), which the build cannot use; "
    "build_over_floor_sequential one pack after the other, plain.",
    "logged_stages: the build's own stage timings from --log-format json --log-file, when the "
    "tool has those options (features.log_file).",
    "load: before each measurement the benchmark waits until other processes are quiet (at most "
    "--quiet-wait s); others_cores is the CPU other processes used during it (and the "
    "hypervisor's steal, also given alone as steal_s), in cores. On a shared machine the same "
    "measurement can still differ by a third between runs: compare cpu_s as well as wall_s.",
    "stages: the real run_build in a fresh process with its steps wrapped by a stopwatch "
    "(wall and CPU seconds, peak RSS after each step; 'other' is what no wrapper covers), the "
    "cache off and the two packs rendered one after the other (the build renders them in "
    "parallel processes).",
    "floor: every sheet of every return file of the 8 quarters read as text with fastexcel "
    "(no validation), plus weasyprint.HTML(string=the build's HTML).write_pdf() per pack "
    "(plain, and with the build's PDF/UA-1 tags); best of 2 runs each, one after each cold build. 'parallel' takes the "
    "slower pack alone; 'concurrent' renders them at once (pdf_tagged_concurrent_s). Imports "
    "are not in the floor (floor.imports); the build pays them.",
    "generation is not part of any build time.",
    "warm_up_s: one unmeasured scale-1 build (and --help, check, the stage process) first, to "
    "fill the bytecode (see bytecode_cache), fontconfig and page caches.",
]


INTERNAL: dict[str, Callable[[Path, Path], dict[str, Any]]] = {
    "stages": stages,
    "floor-read": floor_read,
    "floor-pdf": floor_pdf,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated, e.g. 1,10,100")
    parser.add_argument("--quick", action="store_true", help="scale 1 only (a smoke run)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="seconds to wait at most for other processes to go quiet before each measurement",
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

    if args.report:
        print(markdown(json.loads(args.output.read_text(encoding="utf-8"))))
        return 0
    scales = [1.0] if args.quick else [float(s) for s in args.scales.split(",") if s.strip()]
    WORK.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "notes": NOTES}
    results["bytecode_cache"] = bytecode_cache(not args.no_bytecode_cache)
    print("[warm-up] one unmeasured build at scale 1", file=sys.stderr, flush=True)
    results["warm_up_s"] = round(warm_up(), 1)
    print("[startup] --help, check, imports", file=sys.stderr, flush=True)
    results["startup"], results["startup_load"] = observed(startup, args.quiet_wait)
    results["features"] = has = features()
    results["scales"] = []
    for scale in scales:
        results["scales"].append(bench_scale(scale, args.quiet_wait, has))
        args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    results["sources_changed_during_run"] = sources_sha256() != results["machine"]["sources_sha256"]
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
