"""What a benchmark run found: issue #16's goals, met or not and why, and a markdown summary."""

from __future__ import annotations

import itertools
from typing import Any

from bench.common import HEAVY_MODULES, QUARTER_SUFFIX

# A cold build's limit over its floor, by scale (issue #16).
FLOOR_LIMITS = {1.0: 1.1, 10.0: 1.1, 100.0: 1.2}
UNCHANGED_SHARE = 0.25  # an unchanged rebuild takes at most this share of a cold build
MEMORY_LIMIT_MB = 1024.0  # peak memory of all processes together at scale 100


def _goal(goal: str, met: bool | None, value: str, reason: str) -> dict[str, Any]:
    return {"goal": goal, "met": met, "value": value, "reason": reason}


def _beyond_floor(r: dict[str, Any]) -> str:
    """Where a cold build spends its time beyond the floor, largest first (from the stages)."""
    st, fl = r["stages"]["stages"], r["floor"]
    costs = {
        "imports": st["import"]["wall_s"] + st["import_weasyprint"]["wall_s"],
        "reading over the floor's read": st.get("read", {}).get("wall_s", 0.0) - fl["read_s"],
        "computing": st.get("compute", {}).get("wall_s", 0.0),
        "validation reports, CSVs, workbook and manifest": sum(
            st.get(k, {}).get("wall_s", 0.0)
            for k in ("validation_reports", "csv", "dataset_workbook", "manifest")
        ),
        "the rest of the build": st.get("other", {}).get("wall_s", 0.0),
    }
    top = sorted(((v, k) for k, v in costs.items() if v >= 0.05), reverse=True)[:3]
    return ", ".join(f"{k} {v:.1f} s" for v, k in top) or "nothing that stands out"


def _cpus(results: dict[str, Any]) -> int | None:
    """The CPUs the benchmark's processes could run on."""
    m = results.get("machine", {})
    cpus = m.get("usable_cpus") or m.get("nproc")
    return int(cpus) if cpus else None


def cpu_bound(build_cpu_s: float, cpus: int, floor_s: float) -> float:
    """The least build / floor a build that uses `build_cpu_s` of CPU can reach on `cpus` CPUs:
    however well its processes overlap, it cannot take less wall time than its CPU spread over
    every CPU."""
    return build_cpu_s / cpus / floor_s


def _one_process_cpu_s(r: dict[str, Any]) -> float | None:
    """The CPU the build's work beyond the floor takes in one process without its caches (the
    stages: imports, catalogue, the build with HTML but no PDF), less the floor's read."""
    st = r.get("stages", {}).get("stages", {})
    parts = [st.get(k, {}).get("cpu_s") for k in ("import", "import_weasyprint", "catalogue")]
    parts.append(st.get("run_build", {}).get("cpu_s"))
    read = r["floor"].get("read_cpu_s")
    if any(p is None for p in parts) or read is None:
        return None
    return float(sum(parts)) - float(read)


def _cpu_bound(r: dict[str, Any], limit: float, cpus: int | None) -> str:
    """Whether the goal is out of reach of the CPU the build uses, and what it would need."""
    build_cpu, floor_cpu = r["build"].get("cpu_s"), r["floor"].get("cpu_s")
    floor = r["floor"]["floor_tagged_concurrent_s"]
    if not cpus or not build_cpu or not floor_cpu:
        return ""
    least = cpu_bound(build_cpu, cpus, floor)
    why = (
        f"; the build's processes used {build_cpu:.1f} CPU s against the floor's {floor_cpu:.1f}, "
        f"so on {cpus} CPUs it cannot take under {least * floor:.1f} s ({least:.2f}x)"
    )
    if least > limit:
        need = limit * floor * cpus
        why += (
            f": within {limit}x it may use at most {need:.1f} CPU s, "
            f"{need - floor_cpu:.1f} beyond the floor's; it uses {build_cpu - floor_cpu:.1f} "
            "beyond them"
        )
        alone = _one_process_cpu_s(r)
        if alone is not None:
            why += f", and {alone:.1f} in one process without its caches (stages)"
    return why


def _reading_s(run: dict[str, Any]) -> float:
    return sum(
        float(e["seconds"] or 0)
        for e in run.get("logged_stages", [])
        if str(e["stage"]).startswith("reading returns")
    )


def _corrected_goal(scale: float, r: dict[str, Any]) -> dict[str, Any]:
    """After one agency resends its return: the files the build opened (only that one), the
    quarters it recomputed (only the one it is in, the quarter built) and the packs it rendered
    (only those whose content changed: their HTML, but for the time produced)."""
    goal = f"a corrected return re-reads, recomputes and re-renders only what it feeds at scale {scale:g}"
    c = r.get("corrected")
    if not c or not c.get("reused"):
        return _goal(goal, None, "-", "not measured")
    reused, cold = c["reused"], r["build"]
    changed = c.get("packs_changed")
    read, files = reused.get("read"), reused.get("files")
    only = (
        read == 1
        and reused.get("recomputed") == 1
        and changed is not None
        and reused.get("rendered") == len(changed)
    )
    why = (
        f"{c['agency']} resent {c['quarter']}: {c['wall_s']:.1f} s against {cold['wall_s']:.1f} s "
        f"cold; opened {read if read is not None else '?'} of {files or '?'} files "
        f"({_reading_s(c):.1f} s reading); recomputed {reused.get('recomputed', '?')} of "
        f"{reused.get('quarters', '?')} quarters; re-rendered {reused.get('rendered', '?')} of "
        f"{reused.get('packs', '?')} packs, "
        + (
            f"{len(changed)} of whose content changed ({', '.join(changed) or 'none'})"
            if changed is not None
            else "their content not compared"
        )
    )
    return _goal(goal, only, f"{c['wall_s']:.1f} s", why)


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal of issue #16 as measured in this run: met (True/False, None when not
    measured), the value and the reason."""
    scales = {r["scale"]: r for r in results["scales"]}
    out = []
    for scale, limit in FLOOR_LIMITS.items():
        goal = f"cold build within {limit}x its floor at scale {scale:g}"
        r = scales.get(scale)
        if r is None:
            out.append(_goal(goal, None, "-", f"scale {scale:g} was not run"))
            continue
        ratio, build = r["build_over_floor"], r["build"]["wall_s"]
        floor = r["floor"]["floor_tagged_concurrent_s"]
        why = f"{build:.1f} s against a floor of {floor:.1f} s ({build - floor:.1f} s beyond it)"
        if ratio > limit:
            why += f"; beyond the floor (one-process stages): {_beyond_floor(r)}"
            why += _cpu_bound(r, limit, _cpus(results))
        out.append(_goal(goal, ratio <= limit, f"{ratio:.2f}x", why))
    for scale, r in sorted(scales.items()):
        again, cold = r["build_again"], r["build"]
        share = again["wall_s"] / cold["wall_s"]
        check = r.get("unchanged_check", {})
        problems = [k for k in ("says_unchanged", "outputs_untouched") if check.get(k) is False]
        met = share <= UNCHANGED_SHARE and not problems
        why = f"{again['wall_s']:.1f} s against {cold['wall_s']:.1f} s cold"
        if check:
            why += (
                "; the log says unchanged"
                if check.get("says_unchanged")
                else "; the log does not say unchanged"
            )
            why += (
                ", outputs and manifest untouched"
                if check.get("outputs_untouched")
                else f", {check.get('outputs_changed', '?')} output file(s) written again"
            )
        out.append(
            _goal(
                f"unchanged rebuild at most 1/4 of a cold build at scale {scale:g}",
                met,
                f"{share:.2f} of cold",
                why,
            )
        )
    for scale, r in sorted(scales.items()):
        out.append(_corrected_goal(scale, r))
    ordered = [scales[s] for s in sorted(scales)]
    if len(ordered) >= 2:
        steps = []
        linear = True
        for low, high in itertools.pairwise(ordered):
            grew, volume = (
                high["build"]["wall_s"] / low["build"]["wall_s"],
                high["scale"] / low["scale"],
            )
            linear = linear and grew <= volume
            steps.append(
                f"x{volume:g} volume (scale {low['scale']:g} to {high['scale']:g}): x{grew:.2f} time"
            )
        out.append(_goal("growth linear or better", linear, "; ".join(steps),
                         "cold build wall time against the volume of returns"))  # fmt: skip
    else:
        out.append(_goal("growth linear or better", None, "-", "only one scale was run"))
    r = scales.get(100.0)
    if r is None:
        out.append(_goal("peak memory under 1 GB at scale 100", None, "-", "scale 100 was not run"))
    else:
        peak = max(r["build"]["peak_total_rss_mb"], r["build_again"]["peak_total_rss_mb"])
        out.append(
            _goal(
                "peak memory under 1 GB at scale 100, all processes together",
                peak < MEMORY_LIMIT_MB,
                f"{peak:.0f} MB",
                "the largest sum of RSS over the build and every process under it (sampled)",
            )
        )
    return out


def _f(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}"


def _goals_table(results: dict[str, Any]) -> list[str]:
    lines = ["| goal (issue #16) | met | measured | why |", "| --- | :---: | ---: | --- |"]
    for g in results.get("goals", []):
        met = {True: "yes", False: "**no**", None: "-"}[g["met"]]
        lines.append(f"| {g['goal']} | {met} | {g['value']} | {g['reason']} |")
    return lines


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    n = len(results["scales"][0]["stages"]["accepted_rows_per_quarter"]) if results["scales"] else 0
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
        + (f"; the whole run took {results['total_s']:.0f} s" if "total_s" in results else "")
        + ".",
        "",
        *_goals_table(results),
        "",
        f"| scale | files | rows read ({n} quarters) | build wall s (cold runs) | build CPU s "
        "| unchanged re-run s | corrected return s | peak RSS MB (largest process / all) "
        "| floor s (read + packs at once) | build / floor | others' CPU, cores | exit |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["scales"]:
        fl, b, a = r["floor"], r["build"], r["build_again"]
        c = r.get("corrected")
        others = f"{b['load'].get('others_cores', '?')} / {a['load'].get('others_cores', '?')}"
        lines.append(
            f"| {r['scale']:g} | {fl['files']} | {fl['raw_rows']:,} raw, "
            f"{r['stages']['accepted_rows']:,} accepted | {_f(b['wall_s'])} "
            f"({' / '.join(_f(x) for x in r['cold_builds_wall_s'])}) | {_f(b['cpu_s'])} "
            f"| {_f(a['wall_s'])} | {_f(c['wall_s']) if c else '-'} "
            f"| {b['peak_rss_mb']:.0f} / {b['peak_total_rss_mb']:.0f} "
            f"| {_f(fl['floor_tagged_concurrent_s'])} ({_f(fl['read_s'])} + "
            f"{_f(fl['floor_tagged_concurrent_s'] - fl['read_s'])}) "
            f"| {_f(r['build_over_floor'], 2)}x | {others} | {b['rc']} |"
        )
    lines += [
        "",
        "Stages of the real build in one process, wall seconds (caches off; the packs' HTML "
        "made, their PDFs not: the floor times WeasyPrint), against the floor:",
        "",
        f"| scale | imports | read {n} q (floor) | compute {n} q | validation reports | CSV "
        "| dataset workbook | other | HTML HSSCP / STSCP | floor PDF, packs at once "
        "| build's own rendering (log) | peak RSS MB after read / compute / HTML | generation s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["scales"]:
        st, fl, rss = r["stages"]["stages"], r["floor"], r["stages"]["peak_rss_mb_after"]
        gen = r["generation"]

        def w(key: str, stage: dict[str, Any] = st) -> str:
            return _f(stage[key]["wall_s"]) if key in stage else "-"

        rendering = sum(
            float(e["seconds"] or 0)
            for e in r["build"].get("logged_stages", [])
            if str(e["stage"]).startswith("rendering")
        )
        lines.append(
            f"| {r['scale']:g} | {_f(st['import']['wall_s'] + st['import_weasyprint']['wall_s'])} "
            f"| {w('read')} ({_f(fl['read_s'])}) | {w('compute')} | {w('validation_reports')} "
            f"| {w('csv')} | {w('dataset_workbook')} | {w('other')} | {w('html HSSCP')} / {w('html STSCP')} "
            f"| {_f(fl['floor_tagged_concurrent_s'] - fl['read_s'])} | {_f(rendering)} "
            f"| {rss.get('after_read', 0):.0f} / {rss.get('after_compute', 0):.0f} / {rss.get('after_html', 0):.0f} "
            f"| {_f(gen['wall_s'])}{' (reused)' if gen['reused'] else ''} |"
        )
    logged = [
        (r["scale"], label, run["logged_stages"])
        for r in results["scales"]
        for label, run in (
            ("first build", r["build"]),
            ("unchanged re-run", r["build_again"]),
            ("corrected return", r.get("corrected") or {}),
        )
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
    "console script) from an empty --out (a cold cache), once; once more when other "
    "processes took settings.disturbed_cores or more during it and the machine went quiet "
    "again within settings.quiet_wait_s, or when it took less than settings.pair_below_s (then "
    "after the first floor, and followed by a second floor), the faster kept "
    "(cold_builds_wall_s and cold_builds_others_cores have every run). A thread samples the "
    "build's process tree with psutil every 0.05 s, following what it leaves to end after it: "
    "cpu_s is the user + sys CPU of every process seen (the last 0.05 s of each may be missed), "
    "peak_rss_mb the largest RSS of any one process, peak_total_rss_mb the largest sum over all "
    "of them at one sample.",
    "build_again: the same build again over unchanged returns into the same --out, with the "
    "caches the last one left (cache_bytes is their size); unchanged_check says whether its log "
    "says unchanged and whether every output file (and the manifest) is as it was, same bytes "
    "and same modification time.",
    "corrected: one agency's 2024Q3 return replaced as an agency resends it (the same file name, "
    "its rows from another seed, a later date in received.csv), then the build again into the "
    "same --out; reused is the build's own log of the files it opened (read) of all (files), the "
    "quarters it recomputed and the packs it re-rendered; packs_changed the packs whose HTML "
    "(but for the time produced) differs from the build before; quarters_read the quarters its "
    "log says it read returns for. The original return is put back after.",
    "build_over_floor (the target): the build's wall time over the floor that renders the packs "
    "as the build must: tagged PDF/UA-1, both at the same time in processes with WeasyPrint "
    "loaded, as many at once as there are CPUs (floor_tagged_concurrent_s = read_s + "
    "pdf_tagged_concurrent_s).",
    "goals: issue #16's goals as this run measured them, each met or not with the reason. "
    "A cold build not within its limit is also set against the CPU its processes used (cpu_s) "
    "and the floor's (floor.cpu_s: its read and each pack's render, pdf.<pack>.cpu_s): however "
    "well a build's work overlaps, it takes no less wall time than its CPU over the usable CPUs, "
    "so that CPU bounds the ratio it can reach on this machine.",
    "logged_stages: the build's own stage timings from --log-format json --log-file.",
    "load: before each measurement the benchmark waits until other processes are quiet (at most "
    "settings.quiet_wait_s, --quiet-wait); others_cores is the CPU other processes used during "
    "it (and the hypervisor's steal, also given alone as steal_s), in cores. On a shared machine "
    "the same measurement can still differ by a third between runs: compare cpu_s as well as "
    "wall_s.",
    "stages: the real run_build in a fresh process with its steps wrapped by a stopwatch "
    "(wall and CPU seconds, peak RSS after each step; 'other' is what no wrapper covers), the "
    "caches off, the packs' HTML made but no PDF laid out (an empty file in its place): the "
    "floor times WeasyPrint on the same HTML, and the build's own log its rendering.",
    "floor: every sheet of every return file the cold build read (its manifest's inputs) "
    "read as text with fastexcel (no validation), then the build's HTML rendered with the "
    "build's settings (locked-down fetcher, tagged PDF/UA-1), every pack at once, one process "
    "each (pdf.<pack>.tagged_ua1_s is each pack's time in that render, cpu_s its CPU). One "
    "run, after the cold build; once more when disturbed or after a second cold build (as the "
    "build), the faster read and render kept (runs, read_s_runs, pdf_tagged_concurrent_s_runs). "
    "Imports are not in the floor (floor.imports); the build pays them.",
    "generation is not part of any build time: the rows `tees-dataset sample` makes, written "
    "into each agency's template by bench/generate.py (generation.how), reused while the "
    "generator's sources are unchanged; read_ahead reads every return file once before the "
    "first build, so that the build and the floor both find them in the page cache.",
    "warm_up_s: `--help`, `check`, the stage run at scale 1 and one small tagged PDF first, "
    "unmeasured, to fill the bytecode (see bytecode_cache) and fontconfig caches.",
]
