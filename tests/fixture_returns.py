"""A small fixture quarter (2024Q3) for every return, whose figures are worked out by hand in
golden/fixture-2024Q3-headline.csv."""

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
Rows = list[dict[str, Any]]


def strategy(
    n: int, referral: dt.date, held: dt.date, health: str = "No", outcome: str = "S47 joint"
) -> dict[str, Any]:
    return {
        "child_ref": f"{SECRET}{n:03d}", "referral_date": referral, "strategy_date": held,
        "police_attended": "Yes", "health_attended": health, "education_attended": "Yes",
        "outcome": outcome,
    }  # fmt: skip


def workforce(la: str, in_post: float, leavers: float) -> dict[str, Any]:
    return {"local_authority": la, "service": "Safeguarding", "fte_in_post": in_post,
            "fte_leavers": leavers, "fte_vacancies": 1.0, "fte_agency": 1.0}  # fmt: skip


def challenge(
    la: str, n: int, raising: str, receiving: str, outcome: str = "Open", stage: int = 1
) -> dict[str, Any]:
    return {"local_authority": la, "challenge_ref": f"PC-{n}", "date_raised": D(2024, 8, 1),
            "raising_organisation": raising, "receiving_organisation": receiving, "stage": stage,
            "outcome": outcome}  # fmt: skip


def referral(n: int, triage: str, re_referral: str) -> dict[str, Any]:
    return {"child_ref": f"{SECRET}R{n:03d}", "referral_date": D(2024, 7, 10), "source": "Police",
            "multi_agency_triage": triage, "re_referral": re_referral}  # fmt: skip


def council(
    la: str, referrals: Rows, strategies: Rows, workforce_row: dict[str, Any], offered: dt.date
) -> dict[str, Rows]:
    """The returns every council sends; most rows are the same for each council."""
    ref = f"{SECRET}{la[:3].upper()}"
    return {
        "referrals": referrals,
        "contacts": [{"source": "Police", "contacts": 10, "became_referrals": 4}],
        "early_help": [{"assessments_started": 21, "step_ups": 2}],
        "strategy_discussions": strategies,
        "conferences": [
            {"child_ref": f"{ref}C1", "conference_date": D(2024, 7, 15), "conference_type": "ICPC",
             "advocate": "Yes", "police_attended": "Yes", "health_attended": "Yes", "school_attended": "Yes",
             "probation_attended": "Not invited", "parent_attended": "Yes", "child_contribution": "Attended"},
            {"child_ref": f"{ref}C2", "conference_date": D(2024, 8, 15), "conference_type": "RCPC",
             "advocate": "No", "police_attended": "Yes", "health_attended": "No", "school_attended": "Yes",
             "probation_attended": "No", "parent_attended": "No", "child_contribution": "None"},
        ],
        "children_in_care": [
            {"child_ref": f"{ref}L1", "placement_type": "Foster care", "placed_over_20_miles": "No",
             "deprivation_of_liberty": "No", "secure_order": "No"},
            {"child_ref": f"{ref}L2", "placement_type": "Unregistered children's home", "placed_over_20_miles": "Yes",
             "deprivation_of_liberty": "Yes", "secure_order": "No"},
            {"child_ref": f"{ref}L3", "placement_type": "Registered supported accommodation",
             "placed_over_20_miles": "No", "deprivation_of_liberty": "No", "secure_order": "No"},
            {"child_ref": f"{ref}L4", "placement_type": "Secure children's home", "placed_over_20_miles": "Yes",
             "deprivation_of_liberty": "No", "secure_order": "Yes"},
        ],
        "court_proceedings": [{"children_in_plo": 3, "children_in_proceedings": 5}],
        "care_reviews": [
            {"child_ref": f"{ref}V{n}", "review_date": D(2024, 9, 2), "participation": code}
            for n, code in enumerate(("PN0", "PN1", "PN7"))
        ],
        "missing_episodes": [
            {"child_ref": f"{ref}M1", "missing_from": D(2024, 7, 1), "returned": D(2024, 7, 2),
             "interview_offered": offered},
            {"child_ref": f"{ref}M2", "missing_from": D(2024, 7, 8), "returned": D(2024, 7, 8),
             "interview_offered": None},
        ],
        "exploitation": [
            {"exploitation_type": "Child sexual exploitation", "children_discussed": 2},
            {"exploitation_type": "Child criminal exploitation", "children_discussed": 3},
        ],
        "child_protection_plans": [
            {"child_ref": f"{ref}P1", "plan_start": D(2024, 9, 1), "category": "Neglect", "subsequent_plan": "No"},
            {"child_ref": f"{ref}P2", "plan_start": D(2022, 9, 30), "category": "Neglect", "subsequent_plan": "Yes"},
            {"child_ref": f"{ref}P3", "plan_start": D(2023, 1, 1), "category": "Emotional abuse", "subsequent_plan": "No"},
            {"child_ref": f"{ref}P4", "plan_start": D(2024, 1, 1), "category": "Physical abuse", "subsequent_plan": "No"},
        ],
        "workforce": [workforce_row],
    }  # fmt: skip


def lado() -> dict[str, Rows]:
    return {"lado_referrals": [
        {"referral_ref": "L1", "referral_date": D(2024, 7, 3), "referring_organisation": "Police"},
        {"referral_ref": "L2", "referral_date": D(2024, 8, 3), "referring_organisation": "Education"},
    ]}  # fmt: skip


def police_row(la: str, notified: int) -> dict[str, Any]:
    return {
        "local_authority": la,
        "pitstop_cases": 3,
        "investigations_concluded": 10,
        "outcomes_notified": notified,
    }


FIXTURE: dict[str, dict[str, Rows]] = {
    "hartlepool_csc": council(
        "hartlepool",
        [referral(1, "Yes", "Yes"), referral(2, "Yes", "No"), referral(3, "Yes", "No"), referral(4, "No", "No")],
        [
            strategy(1, D(2024, 8, 23), D(2024, 8, 27), health="Yes"),  # Fri -> Tue over the bank holiday: 1
            strategy(2, D(2024, 8, 23), D(2024, 8, 28), outcome="No further action"),  # 2: not within
            strategy(3, D(2024, 7, 1), D(2024, 7, 1), health="Yes"),  # same day: within
            strategy(4, D(2024, 7, 1), D(2024, 7, 3), outcome="S47 single agency"),  # 2: not within
            strategy(5, D(2024, 7, 6), D(2024, 7, 8)),  # Sat referral -> Mon: 0, within
        ],
        workforce("hartlepool", 40, 2),
        D(2024, 7, 5),  # Tue 2 -> Fri 5 July: 3 days (3 working days)
    ),
    "stockton_csc": council(
        "stockton",
        [referral(5, "Yes", "No"), referral(6, "No", "No")],
        [
            strategy(6, D(2024, 8, 30), D(2024, 9, 2), health="Yes"),  # Fri -> Mon: 1, within
            strategy(7, D(2024, 8, 29), D(2024, 9, 2)),  # Thu -> Mon: 2, not within
            strategy(8, D(2024, 7, 2), D(2024, 7, 2)),  # same day: within
        ],
        workforce("stockton", 60, 3),
        D(2024, 7, 4),  # Tue 2 -> Thu 4 July: 2 days (2 working days)
    ),
    "middlesbrough_csc": council(
        "middlesbrough",
        [referral(7, "Yes", "Yes"), referral(8, "Yes", "Yes"), referral(9, "Yes", "No")],
        [strategy(9, D(2024, 7, 10), D(2024, 7, 11)), strategy(10, D(2024, 9, 27), D(2024, 9, 27))],
        workforce("middlesbrough", 50, 5),
        D(2024, 7, 4),
    ),
    # Strategy before its referral: rule R3.2-001 rejects this sheet; every other sheet of the
    # same workbook is still used.
    "redcar_csc": council(
        "redcar_cleveland",
        [referral(10, "No", "No")],
        [strategy(11, D(2024, 7, 5), D(2024, 7, 1))],
        workforce("redcar_cleveland", 30, 3),
        D(2024, 7, 4),
    ),
    "cleveland_police": {
        "workforce": [
            workforce("hartlepool", 10, 1), workforce("stockton", 10, 0),
            workforce("middlesbrough", 20, 2), workforce("redcar_cleveland", 20, 1),
        ],
        "police_activity": [
            police_row("hartlepool", 9), police_row("stockton", 8),
            police_row("middlesbrough", 8), police_row("redcar_cleveland", 8),
        ],
    },
    "necn_icb": {
        "workforce": [workforce(la, 5, 0) for la in ("hartlepool", "stockton", "middlesbrough", "redcar_cleveland")],
    },
    "nth_trust": {"workforce": [workforce("hartlepool", 5, 0), workforce("stockton", 5, 0)]},
    "south_tees_trust": {"workforce": [workforce("middlesbrough", 5, 1), workforce("redcar_cleveland", 5, 0)]},
    "tewv_trust": {
        "workforce": [workforce(la, 2.5, 0) for la in ("hartlepool", "stockton", "middlesbrough", "redcar_cleveland")],
    },
    "hartlepool_lado": lado(),
    "stockton_lado": lado(),
    "middlesbrough_lado": lado(),
    "redcar_lado": lado(),
    "hsscp_business_unit": {
        "serious_incidents": [
            {"local_authority": "hartlepool", "incident_ref": "S1", "date_notified": D(2024, 8, 5),
             "notifying_organisation": "Children's social care", "rapid_review": "Yes",
             "review_decision": "Local child safeguarding practice review"},
        ],
        "professional_challenges": [
            challenge("hartlepool", 1, "Police", "Health", "Resolved - agreed with challenge", 1),
            challenge("hartlepool", 2, "Police", "Health"),
            challenge("hartlepool", 3, "Health", "Education"),
            challenge("stockton", 4, "Education", "Children's social care"),
        ],
        "meeting_attendance": [
            {"meeting_date": D(2024, 7, 9), "meeting": "Executive", "organisation": org, "attended": yes}
            for org, yes in (("Children's social care", "Yes"), ("Police", "Yes"), ("Health", "No"), ("Education", "Yes"))
        ] + [
            {"meeting_date": D(2024, 8, 9), "meeting": "Performance Analysis Group", "organisation": org, "attended": yes}
            for org, yes in (("Children's social care", "Yes"), ("Police", "No"))
        ] + [
            {"meeting_date": D(2024, 9, 9), "meeting": "MACE", "organisation": "Children's social care",
             "attended": "Yes", "engaged_in_decision": "Yes"},
            {"meeting_date": D(2024, 9, 9), "meeting": "MACE", "organisation": "Police",
             "attended": "Yes", "engaged_in_decision": "No"},
        ],
        "training": [
            {"session_date": D(2024, 9, 12), "course": "Neglect", "organisation": "Children's social care",
             "attendees": 5, "evaluations": 4, "evaluations_good": 3},
            {"session_date": D(2024, 9, 12), "course": "Neglect", "organisation": "Police",
             "attendees": 3, "evaluations": 2, "evaluations_good": 2},
        ],
        "audits": [
            {"audit_ref": "A1", "date_completed": D(2024, 7, 30), "theme": "Neglect", "grade": "Good"},
            {"audit_ref": "A2", "date_completed": D(2024, 9, 30), "theme": "Exploitation", "grade": "Requires improvement"},
        ],
        "lcspr_actions": [
            {"review": "Child T", "action_ref": f"T{n}", "due_date": D(2024, 6, 30), "status": status}
            for n, status in enumerate(("Complete - evidenced",) * 3 + ("Overdue",))
        ],
    },
    "stscp_business_unit": {
        "serious_incidents": [
            {"local_authority": "middlesbrough", "incident_ref": "S2", "date_notified": D(2024, 9, 5),
             "notifying_organisation": "Health", "rapid_review": "No"},
        ],
        "professional_challenges": [
            challenge("middlesbrough", 5, "Health", "Police", "Resolved - challenge not upheld", 2),
        ],
        "meeting_attendance": [
            {"meeting_date": D(2024, 7, 11), "meeting": "Executive", "organisation": org, "attended": "Yes"}
            for org in ("Children's social care", "Police")
        ],
        "training": [
            {"session_date": D(2024, 8, 12), "course": "Exploitation", "organisation": "Health",
             "attendees": 4, "evaluations": 4, "evaluations_good": 2},
        ],
        "audits": [{"audit_ref": "B1", "date_completed": D(2024, 8, 30), "theme": "Neglect", "grade": "Good"}],
        "lcspr_actions": [
            {"review": "Child W", "action_ref": "W1", "due_date": D(2024, 9, 1), "status": "Complete - evidenced"},
            {"review": "Child W", "action_ref": "W2", "due_date": D(2024, 12, 1), "status": "In progress"},
        ],
    },
}  # fmt: skip


# Free text from a return that must be printed as text: never markup, never a fetched file.
HOSTILE_COMMENT = (
    '<b>Bold</b> <img src="file:///etc/passwd" alt="x"> <a href="https://example.invalid">link</a>'
)
COMMENTS = {"hartlepool_csc": HOSTILE_COMMENT}


def write_fixture(catalogue: Catalogue, returns_dir: Path) -> Path:
    folder = returns_dir / str(Q)
    for agency_id, rows in FIXTURE.items():
        agency = catalogue.agency(agency_id)
        assert agency is not None
        write_return(catalogue, agency, Q, rows, folder, comment=COMMENTS.get(agency_id))
    return folder
