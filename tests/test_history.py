"""How much history a build reads, and what makes a rebuild a new build: stray folders never
stop a build or stretch its charts, and a response the Group adds makes the next build new."""

from __future__ import annotations

from pathlib import Path

from tees_dataset.build import BuildOptions
from tees_dataset.catalogue import load_catalogue
from tees_dataset.figures import history
from tees_dataset.manifest import build_key, responses_digest
from tees_dataset.quarter import Quarter

ROOT = Path(__file__).resolve().parent.parent
Q = Quarter(2024, 3)


def _quarter_folder(returns: Path, name: str, filled: bool = True) -> Path:
    folder = returns / name
    folder.mkdir(parents=True)
    if filled:
        (folder / "x.xlsx").write_bytes(b"")
    return folder


def test_history_reaches_back_to_the_oldest_real_quarter_folder(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    _quarter_folder(returns, "2024Q3")
    _quarter_folder(returns, "2021Q4")
    # None of these stretches it: a year the tool cannot hold, an empty folder, a link, a
    # name that is not a quarter, a quarter more than ten years back.
    _quarter_folder(returns, "0001Q1")
    _quarter_folder(returns, "2019Q4", filled=False)
    (returns / "2018Q1").symlink_to(_quarter_folder(tmp_path, "elsewhere/2018Q1"))
    _quarter_folder(returns, "2017Q5")
    _quarter_folder(returns, "2010Q1")
    quarters = history(returns, Q)
    assert (quarters[0], quarters[-1], len(quarters)) == (Quarter(2021, 4), Q, 12)
    # Without older folders, the quarter and the 7 before it, as before.
    assert len(history(tmp_path / "none", Q)) == 8


def test_a_response_added_after_a_build_makes_the_next_build_new(tmp_path: Path) -> None:
    loaded = load_catalogue(ROOT / "indicators.yaml")
    returns = tmp_path / "returns"
    _quarter_folder(returns, "2024Q3")
    options = BuildOptions(Q, returns, tmp_path / "out")
    before = build_key(loaded, options)
    assert responses_digest(returns) == ""
    (returns / "responses.csv").write_text("quarter,partnership,enquiry,response\n")
    added = build_key(loaded, options)
    (returns / "responses.csv").write_text(
        "quarter,partnership,enquiry,response\n2024Q2,HSSCP,Why?,Because\n"
    )
    assert len({before, added, build_key(loaded, options)}) == 3
