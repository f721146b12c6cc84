"""The caches a rebuild pays only for what changed with: each file's outcome (returns/
file_cache.py), each quarter's computed figures (figure_cache.py) and the rendered packs
(render/pack_cache.py), beside the read cache of earlier quarters.

What is read, computed and rendered is counted (the files opened, compute_quarter's calls, the
packs rendered), never timed. Packs are "rendered" by a stand-in that writes the pack's name: the
cache is what is under test, not WeasyPrint."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tees_dataset import build, fingerprint
from tees_dataset.catalogue import LoadedCatalogue, load_catalogue
from tees_dataset.quarter import Quarter

ROOT = Path(__file__).resolve().parent.parent
Q = Quarter(2024, 3)
KEPT = [Q.shift(-n) for n in range(5, -1, -1)]  # six quarters: enough for every figure's span


class Counts:
    def __init__(self) -> None:
        self.read: list[str] = []  # the quarters load_quarters was asked for
        self.opened: list[str] = []  # the files it opened and validated
        self.computed: list[str] = []
        self.rendered: list[str] = []

    def clear(self) -> None:
        self.read.clear()
        self.opened.clear()
        self.computed.clear()
        self.rendered.clear()


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Counts:
    import tees_dataset.compute as compute
    import tees_dataset.render.pdf as pdf
    import tees_dataset.returns as returns
    import tees_dataset.returns.load as load_module

    seen = Counts()
    load, compute_quarter = returns.load_quarters, compute.compute_quarter
    open_file = load_module.open_file

    def load_quarters(catalogue: Any, quarters: list[Quarter], folder: Path, *cache: Any) -> Any:
        seen.read += [str(q) for q in quarters]
        return load(catalogue, quarters, folder, *cache)

    def opened(path: Path, *args: Any) -> Any:
        seen.opened.append(f"{path.parent.name}/{path.name}")
        return open_file(path, *args)

    def computed(catalogue: Any, inputs: Any) -> Any:
        seen.computed.append(str(inputs.quarter))
        return compute_quarter(catalogue, inputs)

    def render_pack(context: Any, pdf_path: Path, html_path: Path | None = None) -> None:
        seen.rendered.append(context.partnership_id)
        pdf_path.write_text(f"the {context.partnership_id} pack")

    monkeypatch.setattr(returns, "load_quarters", load_quarters)
    monkeypatch.setattr(load_module, "open_file", opened)
    monkeypatch.setattr(compute, "compute_quarter", computed)
    monkeypatch.setattr(pdf, "render_pack", render_pack)
    monkeypatch.setattr(build, "_start_render_pool", lambda packs: None)
    return seen


@pytest.fixture
def returns_dir(tmp_path: Path) -> Path:
    for q in KEPT:
        shutil.copytree(ROOT / "sample_returns" / str(q), tmp_path / "returns" / str(q))
    return tmp_path / "returns"


def catalogue_copy(tmp_path: Path, *, comment: str = "") -> LoadedCatalogue:
    folder = tmp_path / "catalogue"
    folder.mkdir(exist_ok=True)
    (folder / "indicators.yaml").write_text(
        (ROOT / "indicators.yaml").read_text(encoding="utf-8") + comment, encoding="utf-8"
    )
    if not (folder / "reference").exists():
        shutil.copytree(ROOT / "reference", folder / "reference")
    loaded = load_catalogue(folder / "indicators.yaml")
    assert loaded.catalogue is not None
    return loaded


def run(
    loaded: LoadedCatalogue, returns_dir: Path, out: Path, **options: Any
) -> build.BuildOutcome:
    return build.run_build(loaded, build.BuildOptions(Q, returns_dir, out, **options))


def built(tmp_path: Path, returns_dir: Path) -> tuple[LoadedCatalogue, Path, str]:
    """A first build: its catalogue (a copy), its output folder and its results.csv."""
    loaded = catalogue_copy(tmp_path)
    out = tmp_path / "out"
    run(loaded, returns_dir, out)
    return loaded, out, (out / str(Q) / "results.csv").read_text()


def feedback(out: Path) -> dict[str, list[Any]]:
    """Every agency's feedback workbook, as the rows of its sheets."""
    found = {}
    for path in sorted((out / str(Q) / "feedback").glob("*.xlsx")):
        workbook = openpyxl.load_workbook(path)
        found[path.name] = [list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets]
    return found


def correct(path: Path) -> None:
    """An agency corrects its return: a referral's date moves by a day (within the quarter)."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["LADO referrals"]
    date = sheet["C2"].value
    assert isinstance(date, dt.datetime)
    sheet["C2"].value = date - dt.timedelta(days=1) if date.day > 1 else date + dt.timedelta(days=1)
    workbook.save(path)


def test_a_corrected_return_invalidates_exactly_what_it_feeds(
    tmp_path: Path, returns_dir: Path, counts: Counts
) -> None:
    loaded = catalogue_copy(tmp_path)
    out = tmp_path / "out"
    first = run(loaded, returns_dir, out)
    assert sorted(counts.computed) == [str(q) for q in KEPT]
    assert first.reused == {
        "files": 90,
        "read": 90,
        "quarters": 6,
        "recomputed": 6,
        "packs": 2,
        "rendered": 2,
    }

    assert len(counts.opened) == 6 * 15  # every file of the six quarters, once

    # The latest quarter: only the corrected return is opened again, and only its quarter's
    # figures are computed; the other 14 files' outcomes come from the cache.
    counts.clear()
    correct(returns_dir / str(Q) / f"hartlepool_lado-{Q}.xlsx")
    again = run(loaded, returns_dir, out)
    assert counts.opened == [f"{Q}/hartlepool_lado-{Q}.xlsx"]
    assert counts.read == [str(Q)] and counts.computed == [str(Q)]
    assert again.reused["recomputed"] == 1 and again.reused["quarters"] == 6
    assert again.reused["read"] == 1 and again.reused["files"] == 90
    assert not again.unchanged

    # An earlier quarter: its own figures, and those whose rolling 12 months reach back to it
    # (the quarter before the latest and the latest: 2023Q4 to 2024Q3 spans 2024Q1). 2023Q3's
    # figures are computed in detail too (the same quarter a year before), but end before it.
    counts.clear()
    earlier = Q.shift(-2)
    correct(returns_dir / str(earlier) / f"hartlepool_lado-{earlier}.xlsx")
    run(loaded, returns_dir, out)
    assert counts.opened == [f"{earlier}/hartlepool_lado-{earlier}.xlsx"]
    assert sorted(counts.computed) == [str(earlier), str(Q.shift(-1)), str(Q)]

    # Whatever came from the caches, the figures and every agency's feedback are those of a
    # build without them.
    cached = (out / str(Q) / "results.csv").read_text()
    run(loaded, returns_dir, tmp_path / "fresh", cache=False)
    assert (tmp_path / "fresh" / str(Q) / "results.csv").read_text() == cached
    assert feedback(tmp_path / "fresh") == feedback(out)
    validation = [
        (out / str(Q) / "validation.json").read_text() for out in (out, tmp_path / "fresh")
    ]
    assert validation[0] == validation[1]


def test_packs_whose_content_is_unchanged_are_linked_not_rendered(
    tmp_path: Path, returns_dir: Path, counts: Counts, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = catalogue_copy(tmp_path)
    out = tmp_path / "out"
    run(loaded, returns_dir, out)
    pdf = out / str(Q) / f"HSSCP-{Q}.pdf"
    before = pdf.read_text()
    counts.clear()
    # The build's inputs look different (so it is not "unchanged"), its packs' content is not.
    monkeypatch.setattr(build, "build_key", lambda loaded, options: "another build")
    again = run(loaded, returns_dir, out)
    assert counts.rendered == [] and counts.computed == []
    assert again.reused == {
        "files": 90,
        "read": 0,
        "quarters": 6,
        "recomputed": 0,
        "packs": 2,
        "rendered": 0,
    }
    assert pdf.read_text() == before


def test_a_change_of_catalogue_or_code_invalidates_everything(
    tmp_path: Path, returns_dir: Path, counts: Counts, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    run(catalogue_copy(tmp_path), returns_dir, out)
    counts.clear()
    changed = catalogue_copy(tmp_path, comment="\n# a comment: a catalogue with another digest\n")
    run(changed, returns_dir, out)
    assert len(counts.opened) == 6 * 15
    assert sorted(counts.computed) == [str(q) for q in KEPT]
    assert sorted(counts.rendered) == ["HSSCP", "STSCP"]

    counts.clear()
    monkeypatch.setattr(fingerprint, "code_sha256", lambda: "another version of the code")
    run(changed, returns_dir, out)
    assert len(counts.opened) == 6 * 15
    assert sorted(counts.computed) == [str(q) for q in KEPT]
    assert sorted(counts.rendered) == ["HSSCP", "STSCP"]


def test_a_corrupt_cache_entry_is_ignored_and_rebuilt(
    tmp_path: Path,
    returns_dir: Path,
    counts: Counts,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    loaded, out, good = built(tmp_path, returns_dir)
    figures = sorted((out / ".cache" / "figures").glob("*/results.parquet"))
    assert len(figures) == 6
    figures[0].write_bytes(b"PAR1 not the rows that were cached PAR1")  # unreadable
    rows = figures[1].read_bytes()  # readable, but not what was written
    figures[1].write_bytes(
        rows[: len(rows) // 2] + bytes([rows[len(rows) // 2] ^ 1]) + rows[len(rows) // 2 + 1 :]
    )
    (figures[2].parent / "entry.json").write_text("{")  # its checksum unreadable
    packs = sorted((out / ".cache" / "packs").glob("*.pdf"))
    assert len(packs) == 2
    packs[0].unlink()  # the cached pack and its output are the same file: a new one, changed
    packs[0].write_text("changed after it was cached")

    counts.clear()
    monkeypatch.setattr(build, "build_key", lambda loaded, options: "another build")
    again = run(loaded, returns_dir, out)
    assert again.reused["recomputed"] == 3 and again.reused["rendered"] == 1
    assert len(counts.computed) == 3 and len(counts.rendered) == 1
    assert "were ignored and computed again" in caplog.text
    assert "ignored and will be rendered again" in caplog.text
    assert (out / str(Q) / "results.csv").read_text() == good
    assert all(
        (out / str(Q) / f"{p}-{Q}.pdf").read_text() == f"the {p} pack" for p in ("HSSCP", "STSCP")
    )

    # Rebuilt, the entries are trusted again.
    counts.clear()
    monkeypatch.setattr(build, "build_key", lambda loaded, options: "yet another build")
    run(loaded, returns_dir, out)
    assert counts.computed == [] and counts.rendered == []


def test_a_file_whose_issues_quote_a_child_reference_is_never_cached(
    tmp_path: Path, returns_dir: Path, counts: Counts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its feedback names the record (the row's child reference): it is read afresh each time,
    and the cache holds no child reference at all."""
    loaded = catalogue_copy(tmp_path)
    out = tmp_path / "out"
    path = returns_dir / str(Q) / f"hartlepool_csc-{Q}.xlsx"
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Referrals"]
    sheet["C2"].value = "the day after"  # not a date: an error at the cell, naming the record
    child = sheet["B2"].value
    assert isinstance(child, str) and child.startswith("SYN-HAR-")
    workbook.save(path)
    run(loaded, returns_dir, out)
    counts.clear()
    monkeypatch.setattr(build, "build_key", lambda loaded, options: "another build")
    run(loaded, returns_dir, out)
    assert counts.opened == [f"{Q}/hartlepool_csc-{Q}.xlsx"]
    feedback_rows = feedback(out)[f"hartlepool_csc-{Q}-feedback.xlsx"]
    assert any(child in row for rows in feedback_rows for row in rows)  # the agency sees it
    cached = [p for p in (out / ".cache").rglob("*") if p.is_file()]
    assert cached and not any(child.encode() in p.read_bytes() for p in cached)


def test_a_corrupt_file_entry_is_ignored_and_the_file_read_again(
    tmp_path: Path,
    returns_dir: Path,
    counts: Counts,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    loaded, out, good = built(tmp_path, returns_dir)
    entries = sorted((out / ".cache" / "files").glob("*/entry.json"))
    assert len(entries) == 6 * 15
    # The quarter built: earlier quarters come whole from the read cache of quarters.
    latest = [e for e in entries if f"-{Q}" in e.read_text()]
    with_rows = [e for e in latest if any(e.parent.glob("*.parquet"))]
    assert len(latest) == 15 and len(with_rows) > 3
    with_rows[0].write_text("{")  # unreadable
    rows = next(with_rows[1].parent.glob("*.parquet"))
    data = rows.read_bytes()  # readable rows, but not those that were kept
    rows.write_bytes(data[:-20] + bytes([data[-20] ^ 1]) + data[-19:])
    with_rows[2].write_text(with_rows[3].read_text())  # another file's entry in its place

    counts.clear()
    monkeypatch.setattr(build, "build_key", lambda loaded, options: "another build")
    # (the figures are cached too: their keys are the files' digests, which have not changed)
    again = run(loaded, returns_dir, out)
    assert len(counts.opened) == 3
    assert "a cached return's outcome was ignored" in caplog.text
    assert (out / str(Q) / "results.csv").read_text() == good
    assert again.reused["recomputed"] == 0


def test_a_file_outcome_comes_back_from_the_cache_as_it_was_kept(tmp_path: Path) -> None:
    """Issues (with what the workbook holds there, for the agency's feedback) and rows."""
    import polars as pl

    from tees_dataset import codes
    from tees_dataset.report import Location
    from tees_dataset.returns.file_cache import FileCache, FileOutcome, SheetOutcome

    warning = codes.F_CHARACTER.issue(
        "a character that no workbook can hold was removed here",
        Location("redcar_csc-2024Q3.xlsx", sheet="Referrals", cell="C7"),
        agency="redcar_csc",
    )
    sheet_issue = codes.V_SHEET_MISSING.issue(
        "the sheet 'Workforce' is missing; a sheet with a similar name is there",
        Location("redcar_csc-2024Q3.xlsx"), "Rename it.", agency="redcar_csc",
        return_id="workforce", value="Workforse",
    )  # fmt: skip
    rows = pl.DataFrame({"agency": ["redcar_csc"] * 2, "referral_date": ["2024-07-01", None]})
    outcome = FileOutcome(
        "redcar_csc-2024Q3.xlsx", "ab" * 32, "redcar_csc", "metadata", True, "A note.",
        [warning], True,
        {"referrals": SheetOutcome("received", [], rows),
         "workforce": SheetOutcome("rejected", [sheet_issue])},
    )  # fmt: skip
    cache = FileCache(tmp_path, "catalogue|code")
    cache.save(Q, outcome)
    cache.close()
    back = cache.load(Q, "redcar_csc-2024Q3.xlsx", "ab" * 32)
    assert back is not None
    assert back.issues == [warning] and back.sheets["workforce"].issues == [sheet_issue]
    assert back.sheets["workforce"].status == "rejected" and back.sheets["workforce"].rows is None
    kept = back.sheets["referrals"].rows
    assert kept is not None and kept.equals(rows)
    assert (back.comment, back.synthetic, back.identified_by) == ("A note.", True, "metadata")
    # Another quarter, name, content, catalogue or code: not this entry.
    assert cache.load(Q.shift(-1), "redcar_csc-2024Q3.xlsx", "ab" * 32) is None
    assert cache.load(Q, "redcar_csc-2024Q3.xlsx", "cd" * 32) is None
    assert FileCache(tmp_path, "another catalogue|code").load(Q, outcome.name, "ab" * 32) is None


def test_a_cache_holding_its_entries_back_writes_them_only_once_released(tmp_path: Path) -> None:
    """A build reading a few quarters holds each file's entry back until it has read them all."""
    import polars as pl

    from tees_dataset.returns.file_cache import FileCache, FileOutcome, SheetOutcome

    def outcome(name: str) -> FileOutcome:
        rows = pl.DataFrame({"agency": ["redcar_csc"], "referral_date": ["2024-07-01"]})
        return FileOutcome(name, "ab" * 32, "redcar_csc", "metadata", False, None, [], True,
                           {"referrals": SheetOutcome("received", [], rows)})  # fmt: skip

    cache = FileCache(tmp_path, "catalogue|code", hold=True)
    cache.save(Q, outcome("redcar_csc-2024Q3.xlsx"))
    time.sleep(0.2)  # were it written in the background, it would be there by now
    assert list(tmp_path.iterdir()) == []
    assert cache.load(Q, "redcar_csc-2024Q3.xlsx", "ab" * 32) is None
    cache.release()
    cache.save(Q, outcome("redcar_csc-2024Q3 (2).xlsx"))  # once released, written as saved
    cache.close()
    for name in ("redcar_csc-2024Q3.xlsx", "redcar_csc-2024Q3 (2).xlsx"):
        back = cache.load(Q, name, "ab" * 32)
        assert back is not None and back.sheets["referrals"].status == "received"
    # Closing a cache writes what it still holds (a build stopped before it released them).
    other = FileCache(tmp_path / "other", "catalogue|code", hold=True)
    other.save(Q, outcome("redcar_csc-2024Q3.xlsx"))
    other.close()
    assert other.load(Q, "redcar_csc-2024Q3.xlsx", "ab" * 32) is not None


def test_a_failing_build_abandons_the_cache_entries_not_yet_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the entry being written is finished: a stopped build ends without writing the rest."""
    import polars as pl

    from tees_dataset.returns import cache as return_cache
    from tees_dataset.returns.file_cache import FileCache, FileOutcome, SheetOutcome

    write_entry = return_cache.write_entry

    def slow(*args: object) -> None:
        time.sleep(0.3)
        write_entry(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(return_cache, "write_entry", slow)
    rows = pl.DataFrame({"agency": ["redcar_csc"], "referral_date": ["2024-07-01"]})
    cache = FileCache(tmp_path, "catalogue|code", hold=True)
    for n in range(10):
        cache.save(Q, FileOutcome(f"redcar_csc-{n}.xlsx", "ab" * 32, "redcar_csc", "metadata",
                                  False, None, [], True,
                                  {"referrals": SheetOutcome("received", [], rows)}))  # fmt: skip
    cache.release()
    started = time.monotonic()
    cache.close(abandon=True)
    assert time.monotonic() - started < 1.5  # not the 3 s of writing all ten
    written = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert len(written) <= 1 and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_what_a_killed_writer_left_in_the_cache_is_swept_and_nothing_else(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tees_dataset.returns import cache

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    left = tmp_path / f".{'a' * 64}.{int(gone.stdout)}"  # its writer has ended
    (left / "sub").mkdir(parents=True)
    writing = tmp_path / f".{'b' * 64}.{os.getpid()}"  # this process is writing it
    writing.mkdir()
    other = [tmp_path / ".not-an-entry", tmp_path / f".{'c' * 64}.x", tmp_path / ("d" * 64)]
    for path in other:
        path.mkdir()
    cache.write_entry(tmp_path, "e" * 64, lambda partial: (partial / "x").write_text("x"), "test")
    assert not left.exists() and writing.exists() and all(p.exists() for p in other)
    assert (tmp_path / ("e" * 64) / "x").read_text() == "x"
