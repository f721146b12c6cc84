from __future__ import annotations

from pathlib import Path

import pytest

from tees_dataset.catalogue import load_catalogue
from tees_dataset.catalogue.models import Catalogue

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "indicators.yaml"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    loaded = load_catalogue(CATALOGUE)
    assert loaded.catalogue is not None, [str(i) for i in loaded.report.issues]
    return loaded.catalogue
