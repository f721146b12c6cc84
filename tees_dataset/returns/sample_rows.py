"""The rows of each synthetic return, one generator per return, seeded per agency, quarter and
return.

Over the 12 quarters of SERIES most figures vary by chance around a level (counts of events as
Poisson counts do, proportions as binomial ones do), and a few carry a signal for the pack's
statistics to find: sustained shifts from 2023Q1 (strategy discussions within 1 working day up,
return home interviews within 72 hours down, second child protection plans down), children in
care rising every quarter from 2023Q1, one quarter's spike in missing episodes (2023Q3), and in
2024Q3 changes on the quarter before that are significant on bases of hundreds (advocacy at
conferences up, re-referrals up).

Over 400 lines: one generator for each of the catalogue's nineteen returns, beside the levels and
patterns they share; apart, the sample's signals would be scattered across files."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from tees_dataset.calendar import is_working_day
from tees_dataset.catalogue.models import Agency
from tees_dataset.quarter import Quarter

Row = dict[str, Any]
T = TypeVar("T")

# Relative need of each local authority: scales Tees-realistic volumes per authority.
NEED = {"hartlepool": 0.7, "stockton": 1.0, "middlesbrough": 1.2, "redcar_cleveland": 0.8}
# Quarterly volumes per local authority at scale 1 and need 1.
VOLUME = {
    "referrals": 1000, "strategy_discussions": 400, "conferences": 150, "children_in_care": 300,
    "care_reviews": 190, "missing_episodes": 120, "child_protection_plans": 260,
    "lado_referrals": 30, "serious_incidents": 2, "professional_challenges": 9,
}  # fmt: skip
# Counts of children at a date (stocks) move little from one quarter to the next: their spread,
# as a share of the volume. Flows (referrals, episodes, meetings) vary as counts of events do:
# Poisson, with a little more (FLOW_SPREAD of the volume) for what no model captures.
STOCK_SPREAD = {"children_in_care": 0.012, "child_protection_plans": 0.04}
FLOW_SPREAD = 0.02
Weighted = tuple[tuple[str, float], ...]
STRATEGY_OUTCOMES: Weighted = (
    ("S47 single agency", 0.30), ("S47 joint", 0.35), ("Child and family assessment", 0.20),
    ("No further action", 0.10), ("Other", 0.05),
)  # fmt: skip
REFERRAL_SOURCES: Weighted = (
    ("Police", 0.29), ("Schools", 0.20), ("Health services", 0.15), ("Local authority services", 0.12),
    ("Individual", 0.09), ("Other legal agency", 0.04), ("Housing", 0.02), ("Anonymous", 0.03),
    ("Other", 0.06),
)  # fmt: skip
CHALLENGE_OUTCOMES: Weighted = (
    ("Resolved - agreed with challenge", 0.45), ("Resolved - challenge not upheld", 0.25),
    ("Escalated", 0.15), ("Open", 0.15),
)  # fmt: skip
SECTORS: Weighted = (
    ("Children's social care", 0.35), ("Police", 0.15), ("Health", 0.25), ("Education", 0.15),
    ("Probation", 0.05), ("Housing", 0.05),
)  # fmt: skip
CONTRIBUTION: Weighted = (
    ("Attended", 0.25), ("Through an advocate", 0.2), ("Written or recorded views", 0.2),
    ("Through their worker", 0.25), ("None", 0.1),
)  # fmt: skip
PLACEMENTS: Weighted = (
    ("Foster care", 0.68), ("Children's home", 0.12), ("Unregistered children's home", 0.01),
    ("Registered supported accommodation", 0.04), ("Unregistered supported accommodation", 0.01),
    ("Placed with parents", 0.09), ("Secure children's home", 0.01), ("Other", 0.04),
)  # fmt: skip
PARTICIPATION: Weighted = (
    ("PN0", 0.15), ("PN1", 0.45), ("PN2", 0.08), ("PN3", 0.05), ("PN4", 0.03), ("PN5", 0.05),
    ("PN6", 0.12), ("PN7", 0.07),
)  # fmt: skip
EXPLOITATION: Weighted = (
    ("Child sexual exploitation", 0.35), ("Child criminal exploitation", 0.4),
    ("Trafficking or modern slavery", 0.05), ("Online exploitation", 0.15), ("Other", 0.05),
)  # fmt: skip
CP_CATEGORIES: Weighted = (
    ("Neglect", 0.5), ("Emotional abuse", 0.3), ("Physical abuse", 0.1), ("Sexual abuse", 0.04),
    ("Multiple", 0.06),
)  # fmt: skip
REVIEW_DECISIONS: Weighted = (
    ("Local child safeguarding practice review", 0.3),
    ("No review - learning through other routes", 0.55), ("Referred to the national panel", 0.05),
    ("Awaiting decision", 0.1),
)  # fmt: skip
AUDIT_GRADES: Weighted = (
    ("Outstanding", 0.05), ("Good", 0.5), ("Requires improvement", 0.35), ("Inadequate", 0.1),
)  # fmt: skip
ACTION_STATUS: Weighted = (
    ("Complete - evidenced", 0.55), ("Complete - evidence awaited", 0.15), ("In progress", 0.22),
    ("Overdue", 0.08),
)  # fmt: skip
WORKFORCE_SERVICES = {
    "Children's social care": (("Children's social work", 160.0), ("Early help", 55.0)),
    "Police": (("Child abuse investigation", 22.0), ("Missing and exploited", 9.0)),
    "Health": (("Safeguarding children team", 7.0),),
}
MEETINGS = {
    "Executive": ("Children's social care", "Police", "Health", "Education"),
    "Performance Analysis Group": (
        "Children's social care",
        "Police",
        "Health",
        "Education",
        "Probation",
    ),
    "Learning and Development sub-group": (
        "Children's social care",
        "Police",
        "Health",
        "Education",
    ),
    "Case Review sub-group": ("Children's social care", "Police", "Health", "CAFCASS"),
    "Child Exploitation sub-group": ("Children's social care", "Police", "Health", "Youth justice"),
    "MACE": ("Children's social care", "Police", "Health", "Education", "Youth justice"),
    "VEMT": ("Children's social care", "Police", "Health", "Education", "Voluntary sector"),
}
# The quarters the committed samples cover (make samples): 12, so that every figure has the
# history an XmR chart needs. The signals below are placed on these quarters; a quarter before
# them is at the series' first level, one after at its last.
SERIES = (Quarter(2021, 4), Quarter(2024, 3))
SHIFT_FROM = 5  # 2023Q1: the sustained shifts start here (7 quarters on the new level)
RISE_FROM = 4  # 2022Q4: children in care rise every quarter after this (7 quarters rising)
OUTLIER_AT = 7  # 2023Q3: a summer's spike in missing episodes, one quarter only
LAST = 11  # 2024Q3: the quarter of the significant changes on the one before
COURSES = (
    "Neglect and the graded care profile", "Child exploitation", "Working together",
    "Domestic abuse and children", "Professional curiosity", "Safeguarding adolescents",
)  # fmt: skip


def _position(quarter: Quarter) -> int:
    """Where the quarter falls in SERIES: 0 for its first quarter (or earlier), LAST for its
    last (or later)."""
    first = SERIES[0].year * 4 + SERIES[0].q
    return min(LAST, max(0, quarter.year * 4 + quarter.q - first))


def _level(return_id: str, t: int) -> float:
    """How many more (or fewer) than the usual volume the quarter at position `t` has."""
    if return_id == "children_in_care":  # a steady rise: more each quarter after RISE_FROM
        return 0.9 * (1 + 0.04 * max(0, t - RISE_FROM))
    if return_id == "missing_episodes" and t == OUTLIER_AT:  # one summer's spike
        return 1.75
    return 1.0


def _rng(seed: int, *parts: str) -> random.Random:
    """One independent, repeatable stream per agency, quarter and return."""
    text = "|".join((str(seed), *parts)).encode()
    return random.Random(int.from_bytes(hashlib.sha256(text).digest()[:8], "big"))


def _pick(rng: random.Random, weighted: Weighted) -> str:
    values = [value for value, _ in weighted]
    weights = [weight for _, weight in weighted]
    return rng.choices(values, weights)[0]


def _yes(rng: random.Random, probability: float) -> str:
    return "Yes" if rng.random() < probability else "No"


def _days(quarter: Quarter) -> list[dt.date]:
    return [
        quarter.start + dt.timedelta(days=n) for n in range((quarter.end - quarter.start).days + 1)
    ]


def _working_days_before(day: dt.date, count: int) -> dt.date:
    while count > 0:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


class _Maker:
    """What every generator needs: the agency, the quarter, a random stream and the scale."""

    def __init__(self, agency: Agency, quarter: Quarter, rng: random.Random, scale: float) -> None:
        self.agency, self.quarter, self.rng, self.scale = agency, quarter, rng, scale
        self.days = _days(quarter)
        self.working = [d for d in self.days if is_working_day(d)]
        self.t = _position(quarter)

    def count(self, return_id: str, la: str) -> int:
        mean = VOLUME[return_id] * NEED.get(la, 1.0) * self.scale * _level(return_id, self.t)
        if return_id in STOCK_SPREAD:
            spread = STOCK_SPREAD[return_id] * mean
        else:
            spread = math.sqrt(mean + (FLOW_SPREAD * mean) ** 2)
        return max(0, round(self.rng.gauss(mean, spread)))

    def shifted(self, before: T, after: T) -> T:
        """`before` until the sustained shift, `after` from it on."""
        return after if self.t >= SHIFT_FROM else before

    def last(self, before: float, now: float) -> float:
        """`now` in the last quarter of the series only: a change on the quarter before."""
        return now if self.t == LAST else before

    def ref(self, la: str, n: int) -> str:
        return f"SYN-{la[:3].upper()}-{self.quarter}-{n:05d}"

    def day(self) -> dt.date:
        return self.rng.choice(self.days)


def referrals(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        for n in range(m.count("referrals", la)):
            yield {"child_ref": m.ref(la, n), "referral_date": m.day(),
                   "source": _pick(m.rng, REFERRAL_SOURCES),
                   "multi_agency_triage": _yes(m.rng, 0.72),
                   "re_referral": _yes(m.rng, m.last(0.21, 0.265))}  # fmt: skip


def contacts(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        total = m.count("referrals", la) * 3.2
        for source, share in REFERRAL_SOURCES:
            n = round(total * share * m.rng.uniform(0.95, 1.05))
            yield {
                "source": source,
                "contacts": n,
                "became_referrals": round(n * m.rng.uniform(0.22, 0.38)),
            }


def early_help(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        started = round(m.count("referrals", la) * m.rng.uniform(0.5, 0.55))
        yield {
            "assessments_started": started,
            "step_ups": round(started * m.rng.uniform(0.05, 0.1)),
        }


def strategy_rows(m: _Maker) -> Iterator[Row]:
    # The front door's same-day strategy discussions (a sustained improvement from SHIFT_FROM).
    lags = m.shifted((0.36, 0.34, 0.12, 0.08, 0.06, 0.04), (0.52, 0.34, 0.06, 0.04, 0.03, 0.01))
    for la in m.agency.covers:
        for n in range(m.count("strategy_discussions", la)):
            held = m.rng.choice(m.working)
            lag = m.rng.choices((0, 1, 2, 3, 5, 10), lags)[0]
            yield {
                "child_ref": m.ref(la, n),
                "referral_date": _working_days_before(held, lag),
                "strategy_date": held,
                "police_attended": _yes(m.rng, 0.93),
                "health_attended": _yes(m.rng, 0.78),
                "education_attended": _yes(m.rng, 0.66),
                "outcome": _pick(m.rng, STRATEGY_OUTCOMES),
            }


def conferences(m: _Maker) -> Iterator[Row]:
    def attended(p_invited: float, p_attend: float) -> str:
        return "Not invited" if m.rng.random() > p_invited else _yes(m.rng, p_attend)

    for la in m.agency.covers:
        for n in range(m.count("conferences", la)):
            yield {
                "child_ref": m.ref(la, n), "conference_date": m.rng.choice(m.working),
                "conference_type": "ICPC" if m.rng.random() < 0.4 else "RCPC",
                "advocate": _yes(m.rng, m.last(0.55, 0.72)), "police_attended": attended(0.98, 0.85),
                "health_attended": attended(0.98, 0.8), "school_attended": attended(0.85, 0.75),
                "probation_attended": attended(0.15, 0.7), "parent_attended": _yes(m.rng, 0.82),
                "child_contribution": _pick(m.rng, CONTRIBUTION),
            }  # fmt: skip


def children_in_care(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        for n in range(m.count("children_in_care", la)):
            placement = _pick(m.rng, PLACEMENTS)
            yield {
                "child_ref": m.ref(la, n), "placement_type": placement,
                "placed_over_20_miles": _yes(m.rng, 0.16),
                "deprivation_of_liberty": _yes(m.rng, 0.012),
                "secure_order": "Yes" if placement == "Secure children's home" and m.rng.random() < 0.7 else "No",
            }  # fmt: skip


def court_proceedings(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        base = m.count("children_in_care", la)
        yield {"children_in_plo": round(base * m.rng.uniform(0.1, 0.16)),
               "children_in_proceedings": round(base * m.rng.uniform(0.2, 0.3))}  # fmt: skip


def care_reviews(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        for n in range(m.count("care_reviews", la)):
            yield {"child_ref": m.ref(la, n), "review_date": m.rng.choice(m.working),
                   "participation": _pick(m.rng, PARTICIPATION)}  # fmt: skip


def missing_episodes(m: _Maker) -> Iterator[Row]:
    # Return home interviews offered later from SHIFT_FROM on: a sustained fall within 72 hours.
    offered = m.shifted(0.92, 0.84)
    lags = m.shifted((0.2, 0.3, 0.2, 0.12, 0.1, 0.08), (0.12, 0.2, 0.18, 0.14, 0.18, 0.18))
    for la in m.agency.covers:
        for n in range(m.count("missing_episodes", la)):
            start = m.day()
            returned = start + dt.timedelta(
                days=m.rng.choices((0, 1, 2, 5), (0.5, 0.3, 0.15, 0.05))[0]
            )
            offer = None
            if m.rng.random() < offered:
                offer = returned + dt.timedelta(days=m.rng.choices((0, 1, 2, 3, 5, 8), lags)[0])
            yield {"child_ref": m.ref(la, n), "missing_from": start,
                   "returned": returned if m.rng.random() < 0.98 else None,
                   "interview_offered": offer}  # fmt: skip


def exploitation(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        for kind, share in EXPLOITATION:
            yield {
                "exploitation_type": kind,
                "children_discussed": round(
                    40 * NEED.get(la, 1) * m.scale * share * m.rng.uniform(0.6, 1.4)
                ),
            }


def child_protection_plans(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        for n in range(m.count("child_protection_plans", la)):
            started = m.quarter.end - dt.timedelta(days=int(m.rng.expovariate(1 / 280)))
            yield {"child_ref": m.ref(la, n), "plan_start": started,
                   "category": _pick(m.rng, CP_CATEGORIES),
                   "subsequent_plan": _yes(m.rng, m.shifted(0.25, 0.15))}  # fmt: skip


def workforce_rows(m: _Maker) -> Iterator[Row]:
    services = WORKFORCE_SERVICES.get(m.agency.sector, (("Safeguarding", 10.0),))
    for la in m.agency.covers:
        share = NEED.get(la, 1.0) / len(m.agency.covers) * (1 if len(m.agency.covers) == 1 else 2)
        for service, fte in services:
            in_post = round(fte * share * m.scale * m.rng.uniform(0.9, 1.1), 1)
            yield {
                "local_authority": la, "service": service, "fte_in_post": in_post,
                "fte_leavers": round(in_post * m.rng.uniform(0.015, 0.06), 1),
                "fte_vacancies": round(in_post * m.rng.uniform(0.05, 0.18), 1),
                "fte_agency": round(in_post * m.rng.uniform(0.03, 0.15), 1),
            }  # fmt: skip


def police_activity(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        concluded = round(60 * NEED.get(la, 1) * m.scale * m.rng.uniform(0.8, 1.2))
        yield {"local_authority": la, "pitstop_cases": round(25 * NEED.get(la, 1) * m.scale * m.rng.uniform(0.7, 1.3)),
               "investigations_concluded": concluded,
               "outcomes_notified": round(concluded * m.rng.uniform(0.7, 0.95))}  # fmt: skip


def lado_referrals(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        for n in range(m.count("lado_referrals", la)):
            yield {"referral_ref": f"LADO-{la[:3].upper()}-{m.quarter}-{n + 1:03d}", "referral_date": m.day(),
                   "referring_organisation": _pick(m.rng, SECTORS)}  # fmt: skip


def serious_incidents(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        for n in range(m.rng.choice((0, 1, 1, 2, 3))):
            review = _yes(m.rng, 0.85)
            yield {"local_authority": la, "incident_ref": f"SIN-{la[:3].upper()}-{m.quarter}-{n + 1}",
                   "date_notified": m.day(), "notifying_organisation": "Children's social care",
                   "rapid_review": review,
                   "review_decision": _pick(m.rng, REVIEW_DECISIONS) if review == "Yes" else None}  # fmt: skip


def challenge_rows(m: _Maker) -> Iterator[Row]:
    for la in m.agency.covers:
        for n in range(m.count("professional_challenges", la)):
            raising = _pick(m.rng, SECTORS)
            receiving = raising
            while receiving == raising:
                receiving = _pick(m.rng, SECTORS)
            yield {
                "local_authority": la, "challenge_ref": f"PC-{m.quarter}-{la[:3].upper()}-{n + 1:03d}",
                "date_raised": m.day(), "raising_organisation": raising,
                "receiving_organisation": receiving,
                "stage": m.rng.choices((1, 2, 3, 4), (0.6, 0.25, 0.1, 0.05))[0],
                "outcome": _pick(m.rng, CHALLENGE_OUTCOMES),
            }  # fmt: skip


def meeting_attendance(m: _Maker) -> Iterator[Row]:
    for meeting, organisations in MEETINGS.items():
        per_quarter = 3 if meeting in ("MACE", "VEMT") else 1
        days: set[dt.date] = set()
        for _ in range(per_quarter):
            held = m.rng.choice(m.working)
            while held in days:  # a meeting is held at most once a day: the next working day
                held = m.working[(m.working.index(held) + 1) % len(m.working)]
            days.add(held)
            for organisation in organisations:
                attended = _yes(m.rng, 0.9 if organisation != "Education" else 0.7)
                engaged = (
                    (_yes(m.rng, 0.85) if attended == "Yes" else "No")
                    if meeting in ("MACE", "VEMT")
                    else None
                )
                yield {"meeting_date": held, "meeting": meeting, "organisation": organisation,
                       "attended": attended, "engaged_in_decision": engaged}  # fmt: skip


def training(m: _Maker) -> Iterator[Row]:
    seen: set[tuple[object, ...]] = set()
    for _ in range(max(1, round(4 * m.scale))):
        held, course = m.rng.choice(m.working), m.rng.choice(COURSES)
        for organisation, _share in SECTORS:
            attendees = m.rng.randint(0, 8)
            evaluations = round(attendees * m.rng.uniform(0.5, 1.0))
            good = round(evaluations * m.rng.uniform(0.7, 1.0))
            # Never a row the same as another in every column (validation rejects a copy): at
            # high volumes one more attendee tells two sessions of a course on a day apart.
            while (held, course, organisation, attendees, evaluations, good) in seen:
                attendees += 1
            seen.add((held, course, organisation, attendees, evaluations, good))
            yield {"session_date": held, "course": course, "organisation": organisation,
                   "attendees": attendees, "evaluations": evaluations,
                   "evaluations_good": good}  # fmt: skip


def audits(m: _Maker) -> Iterator[Row]:
    for n in range(m.rng.choice((2, 3, 3, 4))):
        yield {"audit_ref": f"MAA-{m.quarter}-{n + 1}", "date_completed": m.day(),
               "theme": m.rng.choice(COURSES), "grade": _pick(m.rng, AUDIT_GRADES)}  # fmt: skip


def lcspr_actions(m: _Maker) -> Iterator[Row]:
    for review in ("Child T", "Child W"):
        for n in range(m.rng.randint(6, 10)):
            yield {"review": review, "action_ref": f"{review[-1]}-{n + 1:02d}",
                   "due_date": m.quarter.end - dt.timedelta(days=m.rng.randint(-90, 180)),
                   "status": _pick(m.rng, ACTION_STATUS)}  # fmt: skip


GENERATORS: dict[str, Callable[[_Maker], Iterator[Row]]] = {
    "referrals": referrals,
    "contacts": contacts,
    "early_help": early_help,
    "strategy_discussions": strategy_rows,
    "conferences": conferences,
    "children_in_care": children_in_care,
    "court_proceedings": court_proceedings,
    "care_reviews": care_reviews,
    "missing_episodes": missing_episodes,
    "exploitation": exploitation,
    "child_protection_plans": child_protection_plans,
    "workforce": workforce_rows,
    "police_activity": police_activity,
    "lado_referrals": lado_referrals,
    "serious_incidents": serious_incidents,
    "professional_challenges": challenge_rows,
    "meeting_attendance": meeting_attendance,
    "training": training,
    "audits": audits,
    "lcspr_actions": lcspr_actions,
}
