"""Returns stage: find each agency's workbook for a quarter, identify, read and validate it.

Where things are: `discover` (finding the quarter's files and telling whose each is), `received`
(the business unit's log of when returns arrived), `load` (choosing each agency's return,
reading and validating its sheets: `load_quarter`, `load_quarters`), `results` (what that
gives), `read` and `inspect` (opening an untrusted workbook), `validate` and `checks` (the
checks of a sheet), `feedback` (the validation reports), `cache`, `template`, `sample`.
"""

from __future__ import annotations

from tees_dataset.returns.discover import (
    FILE_NAME_PATTERN,
    RETURN_SUFFIXES,
    discover,
    folder_outside,
    template_sheets,
)
from tees_dataset.returns.load import load_quarter, load_quarters
from tees_dataset.returns.received import RECEIVED_LOG, read_received_log
from tees_dataset.returns.results import AGENCY, SECTOR, FileResult, QuarterReturns, Status

__all__ = [
    "AGENCY",
    "FILE_NAME_PATTERN",
    "RECEIVED_LOG",
    "RETURN_SUFFIXES",
    "SECTOR",
    "FileResult",
    "QuarterReturns",
    "Status",
    "discover",
    "folder_outside",
    "load_quarter",
    "load_quarters",
    "read_received_log",
    "template_sheets",
]
