"""The second process that reads the oldest quarters of a cold build beside the build (reader.py):
the outputs are those of one process, whatever becomes of it, and it ends with the build."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tees_dataset import build, figures
from tees_dataset.catalogue import load_catalogue
from tees_dataset.quarter import Quarter

from .test_unattended import alive, descendants

ROOT = Path(__file__).resolve().parent.parent
Q = Quarter(2024, 3)


@pytest.fixture
def no_packs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Packs are 'rendered' as their name: the reading is under test, not WeasyPrint."""
    import tees_dataset.render.pdf as pdf

    def render_pack(context: Any, pdf_path: Path, html_path: Path | None = None) -> None:
        pdf_path.write_text(f"the {context.partnership_id} pack")

    monkeypatch.setattr(pdf, "render_pack", render_pack)
    monkeypatch.setattr(build, "_start_render_pool", lambda packs: None)


def outputs(folder: Path) -> dict[str, Any]:
    """What a build wrote, as text or (workbooks) as the rows of their sheets."""
    found: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".csv", ".json") and path.name != "manifest.json":
            found[str(path.relative_to(folder))] = path.read_text()
        elif path.suffix == ".xlsx":
            workbook = openpyxl.load_workbook(path)
            found[str(path.relative_to(folder))] = [
                list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets
            ]
    return found


def run(out: Path) -> build.BuildOutcome:
    loaded = load_catalogue(ROOT / "indicators.yaml")
    return build.run_build(loaded, build.BuildOptions(Q, ROOT / "sample_returns", out, cache=False))


def test_a_second_process_reads_the_oldest_quarters_and_changes_nothing(
    tmp_path: Path,
    no_packs: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="tees_dataset")
    run(tmp_path / "two")
    # The samples' 12 quarters: 2021Q4 onwards, the second process reads from the oldest up to
    # half the bytes after a head start, and none computed in detail (2023Q3 is the first).
    said = [r.getMessage() for r in caplog.records if "(in a second process)" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("reading returns for 2021Q4 to 2022Q"), said
    caplog.clear()
    monkeypatch.setattr(figures, "SECOND_MIN_QUARTERS", 99)  # one process
    run(tmp_path / "one")
    assert not any("second process" in r.getMessage() for r in caplog.records)
    one, two = outputs(tmp_path / "one" / str(Q)), outputs(tmp_path / "two" / str(Q))
    assert one.keys() == two.keys() and "results.csv" in one and "validation.json" in one
    assert one == two


@pytest.mark.parametrize("how", ["dies at once", "goes silent"])
def test_when_the_second_process_fails_the_build_reads_its_quarters_itself(
    tmp_path: Path,
    no_packs: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    from tees_dataset.reader import Reader

    monkeypatch.setattr(figures, "SECOND_MIN_QUARTERS", 99)
    run(tmp_path / "one")
    monkeypatch.setattr(figures, "SECOND_MIN_QUARTERS", 2)
    if how == "dies at once":  # with nothing said
        monkeypatch.setattr(Reader, "command", (sys.executable, "-c", "import os; os._exit(9)"))
    else:  # it hangs (reading for 120 s): it is ended once silent for 2 s
        monkeypatch.setattr(Reader, "command", (sys.executable, "-c", SLOW_READER))
        monkeypatch.setattr(Reader, "silence_s", 2.0)
    started = time.monotonic()
    outcome = run(tmp_path / "failed")
    assert outcome.exit_code == 0 and time.monotonic() - started < 60
    assert "they are read here instead" in caplog.text
    if how == "goes silent":
        assert "it sent nothing for 2 s and was ended" in caplog.text
    assert not [p for p in descendants(os.getpid()) if alive(p)]
    assert outputs(tmp_path / "failed" / str(Q)) == outputs(tmp_path / "one" / str(Q))


def twelve_month_turnover_a_year_before(folder: Path) -> list[str]:
    """E1.1's 12-month turnover a year before, for each area: a quarter computed in detail
    (2023Q3) from the rows of the three quarters before it."""
    import csv

    with (folder / "results.csv").open(encoding="utf-8") as handle:
        return [
            r["last_year_value"] for r in csv.DictReader(handle)
            if r["indicator_id"] == "E1.1" and r["breakdown"] == "period"
        ]  # fmt: skip


@pytest.mark.parametrize("fails", [False, True])
def test_the_second_process_sends_back_the_rows_a_quarter_computed_in_detail_needs(
    tmp_path: Path,
    no_packs: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fails: bool,
) -> None:
    from tees_dataset.reader import Reader

    caplog.set_level("INFO", logger="tees_dataset")
    monkeypatch.setattr(figures, "SECOND_MIN_QUARTERS", 99)
    run(tmp_path / "one")
    one = outputs(tmp_path / "one" / str(Q))
    turnover = twelve_month_turnover_a_year_before(tmp_path / "one" / str(Q))
    assert turnover and all(turnover), "every area has its 12-month turnover of 2023Q3"
    # As much as it may take: every quarter before the first computed in detail (2023Q3), so
    # the build needs the workforce rows of 2022Q4 to 2023Q2 from it for 2023Q3's 12 months.
    monkeypatch.setattr(figures, "SECOND_MIN_QUARTERS", 2)
    monkeypatch.setattr(figures, "SECOND_SHARE", 1.0)
    monkeypatch.setattr(figures, "SECOND_HEAD_START_BYTES", 0)
    if fails:  # it dies at once: the build reads those quarters itself as it needs them
        monkeypatch.setattr(Reader, "command", (sys.executable, "-c", "import os; os._exit(9)"))
    caplog.clear()
    assert run(tmp_path / "two").exit_code == 0
    said = [r.getMessage() for r in caplog.records if "second process" in r.getMessage()]
    assert len(said) == 1
    if fails:
        assert "reading 2021Q4 to 2023Q2 failed" in said[0], said
    else:
        assert said[0].startswith("reading returns for 2021Q4 to 2023Q2 (in a second process)")
    assert outputs(tmp_path / "two" / str(Q)) == one


def planned(*sizes: int) -> list[list[Any]]:
    from tees_dataset.quarter_work import Planned

    return [
        [Planned(Q.shift(n - len(sizes) + 1), None, False, size)] for n, size in enumerate(sizes)
    ]


def shares(plan: list[list[Any]]) -> tuple[list[str], list[str]]:
    loaded = load_catalogue(ROOT / "indicators.yaml")
    work = figures.QuarterWork(
        loaded.catalogue, "", ROOT / "sample_returns", None, None, frozenset(),
        frozenset({Q, Q.shift(-1), Q.shift(-4)}), 4,
    )  # fmt: skip
    options = build.BuildOptions(Q, ROOT / "sample_returns", ROOT / "unused", cache=False)
    own, theirs = figures._shares(plan, options, work)
    return [str(p.quarter) for b in own for p in b], [str(p.quarter) for b in theirs for p in b]


def test_the_second_process_takes_the_oldest_half_and_only_when_both_fit_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    mb = 1024 * 1024
    # Twelve quarters of 22 MB (100 times Tees volumes): two reading at once hold about
    # 2 x (100 MB + 17 x 22 MB) = 948 MB, within 1 GB. After a 2 MB head start, half of the
    # remaining 262 MB is 131 MB: the five oldest quarters (110 MB; a sixth would make 132).
    own, theirs = shares(planned(*[22 * mb] * 12))
    assert theirs == ["2022Q4", "2022Q3", "2022Q2", "2022Q1", "2021Q4"]  # newest first
    assert own == ["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3"]
    # One quarter of 30 MB: 2 x (100 MB + 510 MB) is past 1 GB, so the build reads alone.
    own, theirs = shares(planned(*[10 * mb] * 11, 30 * mb))
    assert theirs == [] and len(own) == 12
    # Never a quarter computed in detail (2023Q3, a year before, is the first), however much
    # there is to read.
    monkeypatch.setattr(figures, "SECOND_SHARE", 1.0)
    own, theirs = shares(planned(*[mb] * 12))
    assert sorted(theirs)[-1] == "2023Q2" and own[0] == "2023Q3"


@pytest.mark.parametrize("large", [False, True])
def test_the_render_server_starts_with_the_reading_or_for_a_large_read_once_the_second_process_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, large: bool
) -> None:
    from tees_dataset.reader import Reader

    events: list[str] = []
    collect = Reader._collect

    def collected(self: Reader) -> None:
        collect(self)
        events.append("second process done")

    monkeypatch.setattr(Reader, "_collect", collected)
    if large:  # as if the returns were past EARLY_RENDER_BYTES
        monkeypatch.setattr(figures, "EARLY_RENDER_BYTES", 0)
    loaded = load_catalogue(ROOT / "indicators.yaml")
    options = build.BuildOptions(Q, ROOT / "sample_returns", tmp_path, cache=False)
    figures.compute_figures(
        loaded.catalogue, loaded, options, lambda: events.append("render server started")
    )
    assert events.count("render server started") == 1 and "second process done" in events
    started, done = events.index("render server started"), events.index("second process done")
    assert (started > done) if large else (started < done)


# The second process, slowed so that it is still reading when the build is stopped.
SLOW_READER = (
    "import time; from tees_dataset import quarter_work as w; "
    "w.QuarterWork.read = lambda self, *a, **k: time.sleep(120); "
    "from tees_dataset.reader import main; main()"
)
BUILD = f"""
import sys
from tees_dataset.reader import Reader
Reader.command = (sys.executable, "-c", {SLOW_READER!r})
from tees_dataset.cli import main
main()
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_the_second_process_ends_with_the_build(tmp_path: Path, sig: signal.Signals) -> None:
    returns = tmp_path / "returns"
    shutil.copytree(ROOT / "sample_returns", returns)
    process = subprocess.Popen(
        [sys.executable, "-c", BUILD, "--log-format", "plain", "build", "--quarter", str(Q),
         "--returns", str(returns), "--out", str(tmp_path / "out"), "--no-cache",
         "--catalogue", str(ROOT / "indicators.yaml")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    reader: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not reader and process.poll() is None:
        for pid in descendants(process.pid):
            try:
                if "tees_dataset.reader" in Path(f"/proc/{pid}/cmdline").read_text():
                    reader.append(pid)
            except OSError:
                continue
        time.sleep(0.05)
    assert reader, "the second process should have been started"
    time.sleep(1)  # the build has read its own quarters, or is reading them
    everything = descendants(process.pid)
    os.kill(process.pid, sig)
    process.communicate(timeout=30)
    assert process.returncode in (128 + sig, -sig)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(p) for p in everything):
        time.sleep(0.1)
    assert not [p for p in everything if alive(p)]
    assert not (tmp_path / "out" / str(Q)).exists()
