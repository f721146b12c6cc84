from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tees_dataset.catalogue import load_catalogue
from tees_dataset.catalogue.models import Catalogue
from tees_dataset.returns.sample import write_return

from .fixture_returns import FIXTURE, Q, strategy, write_fixture

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "indicators.yaml"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    loaded = load_catalogue(CATALOGUE)
    assert loaded.catalogue is not None, [str(i) for i in loaded.report.issues]
    return loaded.catalogue


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Path:
    """The fixture quarter with every return valid (a copy for each test: `returns`)."""
    base = tmp_path_factory.mktemp("pristine")
    write_fixture(catalogue, base)
    # The fixture's Redcar strategy sheet is deliberately bad; here every return starts valid.
    agency = catalogue.agency("redcar_csc")
    assert agency is not None
    rows = {**FIXTURE["redcar_csc"], "strategy_discussions": [strategy(11, Q.start, Q.start)]}
    write_return(catalogue, agency, Q, rows, base / str(Q))
    return base


@pytest.fixture
def returns(tmp_path: Path, pristine: Path) -> Path:
    shutil.copytree(pristine, tmp_path / "returns")
    return tmp_path / "returns"
