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
    # 45% of the bytes, and none computed in detail (2023Q3, a year before, is the first).
    said = [r.getMessage() for r in caplog.records if "(in a second process)" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("reading returns for 2021Q4 to 2022Q"), said
    caplog.clear()
    monkeypatch.setattr(figures, "SECOND_MIN_QUARTERS", 99)  # one process
    run(tmp_path / "one")
    assert not any("second process" in r.getMessage() for r in caplog.records)
    one, two = outputs(tmp_path / "one" / str(Q)), outputs(tmp_path / "two" / str(Q))
    assert one.keys() == two.keys() and "results.csv" in one and "validation.json" in one
    assert one == two


def test_when_the_second_process_fails_the_build_reads_its_quarters_itself(
    tmp_path: Path,
    no_packs: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tees_dataset.reader import Reader

    monkeypatch.setattr(figures, "SECOND_MIN_QUARTERS", 99)
    run(tmp_path / "one")
    monkeypatch.setattr(figures, "SECOND_MIN_QUARTERS", 2)
    # It dies at once, with nothing said.
    monkeypatch.setattr(Reader, "command", (sys.executable, "-c", "import os; os._exit(9)"))
    outcome = run(tmp_path / "failed")
    assert outcome.exit_code == 0
    assert "they are read here instead" in caplog.text
    assert outputs(tmp_path / "failed" / str(Q)) == outputs(tmp_path / "one" / str(Q))


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
