"""Unattended runs: a killed build leaves the last outputs whole, builds never interleave,
exit codes say what happened, logs are machine-readable and hold no child reference."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock
from typer.testing import CliRunner

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.cli import app
from tees_dataset.output import recover as _recover
from tees_dataset.quarter import Quarter

from .fixture_returns import SECRET, write_fixture

ROOT = Path(__file__).resolve().parent.parent
CAT = ["--catalogue", str(ROOT / "indicators.yaml")]


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Path:
    base = tmp_path_factory.mktemp("returns")
    write_fixture(catalogue, base)
    return base


def command(returns: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-c", "from tees_dataset.cli import main; main()",
            "--log-format", "plain", "build", "--quarter", "2024Q3", "--returns", str(returns),
            "--out", str(out), *CAT, *extra]  # fmt: skip


def checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def descendants(pid: int) -> list[int]:
    """The processes `pid` started, and the ones they started (Linux /proc; none elsewhere)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(entry.parent.name)] = int(entry.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found: list[int] = []
    level = [pid]
    while level:
        level = [child for child, parent in parents.items() if parent in level]
        found += level
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_build_killed_at_any_stage_leaves_the_previous_outputs_whole(
    returns: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert subprocess.run(command(returns, out), capture_output=True).returncode == 1
    before = checksums(out / "2024Q3")
    for wait_for in ("validation.json", "results.csv", "dataset-2024Q3.xlsx"):
        process = subprocess.Popen(
            command(returns, out, "--no-cache"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(out.glob(f".staging-*/{wait_for}")):
            time.sleep(0.05)
        workers = descendants(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert checksums(out / "2024Q3") == before, wait_for
        # Its render workers (started with the build, maybe by a fork server) do not outlive it.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(alive(pid) for pid in workers):
            time.sleep(0.1)
        assert not [pid for pid in workers if alive(pid)], wait_for
    # The next build clears what the killed ones left and completes.
    result = subprocess.run(command(returns, out), capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert not list(out.glob(".staging-*"))
    manifest = json.loads((out / "2024Q3" / "manifest.json").read_text())
    assert manifest["outputs"] == {
        k: v for k, v in checksums(out / "2024Q3").items() if k != "manifest.json"
    }


def test_a_build_killed_between_its_two_renames_is_recovered(tmp_path: Path) -> None:
    (tmp_path / ".old-2024Q3-999").mkdir()
    (tmp_path / ".old-2024Q3-999" / "results.csv").write_text("old")
    manifest = {"tool": {"name": "tees-dataset"}, "outputs": {"results.csv": "..."}}
    (tmp_path / ".old-2024Q3-999" / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / ".staging-2024Q3-999").mkdir()
    (tmp_path / ".staging-2024Q3-999" / ".tees-dataset-staging").write_text("")
    _recover(tmp_path, "2024Q3")
    assert (tmp_path / "2024Q3" / "results.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024Q3"]


def test_a_second_build_of_the_same_folder_waits_or_stops_never_interleaves(
    returns: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    lock = FileLock(str(out / ".tees-dataset.lock"))
    with lock:
        started = time.monotonic()
        result = subprocess.run(
            command(returns, out, "--wait", "1"), capture_output=True, text=True
        )
        assert result.returncode == 4
        assert "another tees-dataset run is writing to" in result.stderr
        assert time.monotonic() - started >= 1
        assert not (out / "2024Q3").exists()
    # Two builds started together: both finish, one after the other, and what is left is whole.
    first = subprocess.Popen(
        command(returns, out, "--wait", "300"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    second = subprocess.Popen(
        command(returns, out, "--wait", "300"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert (first.wait(), second.wait()) == (1, 1)
    manifest = json.loads((out / "2024Q3" / "manifest.json").read_text())
    assert manifest["outputs"] == {
        k: v for k, v in checksums(out / "2024Q3").items() if k != "manifest.json"
    }


def test_exit_codes(returns: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["build", "--quarter", "2024Q3", "--returns", str(returns), *CAT]
    # 1 with --strict: a return was rejected, so nothing is written.
    strict = runner.invoke(app, [*base, "--out", str(tmp_path / "strict"), "--strict"])
    assert strict.exit_code == 1 and "--strict" in strict.output
    assert not (tmp_path / "strict" / "2024Q3").exists()
    # 3: the output folder cannot be made (a file is in the way).
    (tmp_path / "file").write_text("not a folder")
    blocked = runner.invoke(app, [*base, "--out", str(tmp_path / "file")])
    assert blocked.exit_code == 3 and "cannot read or write files" in blocked.output
    # 2: a usage error.
    assert runner.invoke(app, [*base[:-2], "--quarter", "Q3", *CAT]).exit_code == 2


def test_previous_resolves_to_the_last_complete_quarter(tmp_path: Path) -> None:
    (tmp_path / "returns").mkdir()
    result = CliRunner().invoke(app, ["build", "--quarter", "previous", "--returns",
                                      str(tmp_path / "returns"), "--out", str(tmp_path / "out"),
                                      *CAT])  # fmt: skip
    # No returns at all for that quarter: nothing is written, and it says so (exit 5).
    assert result.exit_code == 5
    assert f"no return for {Quarter.previous()}" in result.output
    assert not (tmp_path / "out" / str(Quarter.previous())).exists()


def test_json_log_file_has_stages_and_no_child_reference(returns: Path, tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "build.jsonl"
    result = CliRunner().invoke(app, ["--log-format", "json", "--log-file", str(log_file), "build",
                                      "--quarter", "2024Q3", "--returns", str(returns),
                                      "--out", str(tmp_path / "out"), *CAT])  # fmt: skip
    assert result.exit_code == 1
    text = log_file.read_text()
    events = [json.loads(line) for line in text.splitlines()]
    stages = {e["stage"] for e in events if e.get("event") == "end"}
    assert any(s.startswith("rendering") for s in stages) and any(
        s.startswith("computing") for s in stages
    )
    assert all(isinstance(e["seconds"], float) for e in events if e.get("event") == "end")
    assert SECRET not in text and SECRET not in result.output


def test_unchanged_earlier_quarters_come_from_the_cache(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    from tees_dataset.returns.sample import write_samples

    write_samples(catalogue, [Quarter(2024, 2), Quarter(2024, 3)], tmp_path / "r", seed=2)
    log_file = tmp_path / "build.log"
    args = ["--log-format", "plain", "-v", "--log-file", str(log_file), "build", "--quarter", "2024Q3",
            "--returns", str(tmp_path / "r"), "--out", str(tmp_path / "out"), *CAT]  # fmt: skip
    runner = CliRunner()
    assert runner.invoke(app, args).exit_code == 0
    first = (tmp_path / "out" / "2024Q3" / "results.csv").read_text()
    log_file.write_text("")
    # Something in 2024Q3's folder changes (a blank line in the received log), so the build is
    # not simply up to date; 2024Q2's folder is as it was.
    with (tmp_path / "r" / "2024Q3" / "received.csv").open("a") as received:
        received.write("\n")
    assert runner.invoke(app, args).exit_code == 0
    second_log = log_file.read_text()
    assert (
        "reading returns for 2024Q3" in second_log
        and "reading returns for 2024Q2" not in second_log
    )
    assert (tmp_path / "out" / "2024Q3" / "results.csv").read_text() == first


def test_quarters_are_read_in_batches_that_fit_the_budget_with_the_same_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the 12 sample quarters together or one by one gives the same figures; the cache
    takes unchanged earlier quarters out of the batches, never the quarter being built."""
    from tees_dataset import build, figures
    from tees_dataset.catalogue import load_catalogue

    loaded = load_catalogue(ROOT / "indicators.yaml")
    assert loaded.catalogue is not None
    options = build.BuildOptions(Quarter(2024, 3), ROOT / "sample_returns", tmp_path / "out")
    names = [
        [str(p.quarter) for p in batch]
        for batch in figures._read_plan(options, None, loaded.sha256)
    ]
    # About 0.6 MB a quarter: all twelve quarters the samples hold fit one batch.
    assert names == [[str(Quarter(2021, 4).shift(n)) for n in range(12)]]
    together = build.compute_figures(loaded.catalogue, loaded, options)

    monkeypatch.setattr(figures, "BATCH_BYTES", 1_300_000)  # two quarters' files, not three
    plan = figures._read_plan(options, None, loaded.sha256)
    assert [len(batch) for batch in plan] == [2, 2, 2, 2, 2, 2]
    monkeypatch.setattr(figures, "BATCH_BYTES", 0)
    one_by_one = build.compute_figures(loaded.catalogue, loaded, options)
    assert together.results.equals(one_by_one.results)
    assert together.trend.equals(one_by_one.trend)
    assert [str(i) for i in together.returns.issues] == [str(i) for i in one_by_one.returns.issues]

    monkeypatch.setattr(figures, "BATCH_BYTES", 16 * 1024 * 1024)
    from tees_dataset.returns.cache import ReturnCache

    cache = ReturnCache(tmp_path / "cache")
    warm = figures._read_plan(options, cache, loaded.sha256)
    assert [len(batch) for batch in warm] == [12]  # nothing cached yet: one batch
    from tees_dataset.returns import load_quarters

    early = [Quarter(2021, 4), Quarter(2022, 1)]  # cached, as an earlier build leaves them
    for planned, returns in zip(warm[0][:2], load_quarters(loaded.catalogue, early, ROOT / "sample_returns"), strict=True):  # fmt: skip
        assert planned.key is not None
        cache.save(planned.key, returns)
    warm = figures._read_plan(options, cache, loaded.sha256)
    assert [[str(p.quarter) for p in b] for b in warm] == [
        ["2021Q4"],
        ["2022Q1"],
        [str(Quarter(2022, 2).shift(n)) for n in range(10)],
    ]
    assert [p.cached for b in warm for p in b] == [True, True] + [False] * 10
    assert warm[-1][-1].key is None  # the quarter being built is never taken from the cache
