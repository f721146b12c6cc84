"""A small fixture quarter (2024Q3) whose figures are worked out by hand in golden/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.quarter import Quarter
from tees_dataset.returns.sample import write_return

D = dt.date
Q = Quarter(2024, 3)
SECRET = "CHILD-SECRET-"  # child references start with this; it must never reach shared outputs


def strategy(n: int, referral: dt.date, held: dt.date, la: str | None = None) -> dict[str, Any]:
    return {
        "local_authority": la,
        "child_ref": f"{SECRET}{n:03d}",
        "referral_date": referral,
        "strategy_date": held,
        "police_attended": "Yes",
        "health_attended": "No",
        "education_attended": "Yes",
        "outcome": "S47 joint",
    }


def workforce(la: str, in_post: float, leavers: float) -> dict[str, Any]:
    return {
        "local_authority": la,
        "service": "Social work",
        "fte_in_post": in_post,
        "fte_leavers": leavers,
        "fte_vacancies": 1.0,
        "fte_agency": 1.0,
    }


def challenge(la: str, n: int, raising: str, receiving: str) -> dict[str, Any]:
    return {
        "local_authority": la,
        "challenge_ref": f"PC-{n}",
        "date_raised": D(2024, 8, 1),
        "raising_organisation": raising,
        "receiving_organisation": receiving,
        "stage": 1,
        "outcome": "Open",
    }


FIXTURE: dict[str, dict[str, list[dict[str, Any]]]] = {
    "hartlepool_csc": {
        "strategy_discussions": [
            strategy(
                1, D(2024, 8, 23), D(2024, 8, 27)
            ),  # Fri -> Tue over the bank holiday: 1, within
            strategy(2, D(2024, 8, 23), D(2024, 8, 28)),  # 2 working days: not within
            strategy(3, D(2024, 7, 1), D(2024, 7, 1)),  # same day: within
            strategy(4, D(2024, 7, 1), D(2024, 7, 3)),  # 2: not within
            strategy(5, D(2024, 7, 6), D(2024, 7, 8)),  # Sat referral -> Mon: 0, within
        ],
        "workforce": [workforce("hartlepool", 40, 2)],
    },
    "stockton_csc": {
        "strategy_discussions": [
            strategy(6, D(2024, 8, 30), D(2024, 9, 2)),  # Fri -> Mon: 1, within
            strategy(7, D(2024, 8, 29), D(2024, 9, 2)),  # Thu -> Mon: 2, not within
            strategy(8, D(2024, 7, 2), D(2024, 7, 2)),  # same day: within
        ],
        "workforce": [workforce("stockton", 60, 3)],
    },
    "middlesbrough_csc": {
        "strategy_discussions": [
            strategy(9, D(2024, 7, 10), D(2024, 7, 11)),
            strategy(10, D(2024, 9, 27), D(2024, 9, 27)),
        ],
        "workforce": [workforce("middlesbrough", 50, 5)],
    },
    "redcar_csc": {
        # Strategy before its referral: rule R3.2-001 rejects this sheet; the workforce sheet
        # of the same workbook is still used.
        "strategy_discussions": [strategy(11, D(2024, 7, 5), D(2024, 7, 1))],
        "workforce": [workforce("redcar_cleveland", 30, 3)],
    },
    "cleveland_police": {
        "workforce": [
            workforce("hartlepool", 10, 1),
            workforce("stockton", 10, 0),
            workforce("middlesbrough", 20, 2),
            workforce("redcar_cleveland", 20, 1),
        ],
    },
    "necn_icb": {
        "workforce": [
            workforce(la, 5, 0)
            for la in ("hartlepool", "stockton", "middlesbrough", "redcar_cleveland")
        ],
    },
    "hsscp_business_unit": {
        "professional_challenges": [
            challenge("hartlepool", 1, "Police", "Health"),
            challenge("hartlepool", 2, "Police", "Health"),
            challenge("hartlepool", 3, "Health", "Education"),
            challenge("stockton", 4, "Education", "Children's social care"),
        ],
    },
    "stscp_business_unit": {
        "professional_challenges": [challenge("middlesbrough", 5, "Health", "Police")],
    },
}


def write_fixture(catalogue: Catalogue, returns_dir: Path) -> Path:
    folder = returns_dir / str(Q)
    for agency_id, rows in FIXTURE.items():
        agency = catalogue.agency(agency_id)
        assert agency is not None
        write_return(catalogue, agency, Q, rows, folder)
    return folder
