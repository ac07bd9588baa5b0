"""The fixed part of the demo data set: MoU versions and caps, agencies, demo users, workforce-return baselines.

Everything here is invented except the January 2015 pay caps for SW, SSW and TM, which were reported publicly.
The seeded, random part (workers, placements, timesheets, leavers, exceptions) is in `demo.plan`; writing it all
to the database, idempotently, is `demo.loader.load_demo`.
"""

from datetime import date
from decimal import Decimal

from placements.timesheets.values import last_full_week_ending

SEED = 2015
DEMO_PASSWORD = "demo-pass-2025"

# The demo's plan ends here: no placement starts after it, and placements still running then are open. Their
# timesheets (and the councils' returns) carry on to the last full week before the day the demo is loaded
# (`work_until`), so the current quarter, the queue and the charts are never a year old.
DATA_START = date(2019, 1, 1)
DATA_END = date(2025, 12, 31)


def work_until(today: date) -> date:
    """The Sunday ending the last full week before `today`: the demo's last timesheet week."""
    return last_full_week_ending(today)


ILLUSTRATIVE = "Illustrative figures, not the published caps."


def _caps(rows):
    """(role, engagement type or None, max pay, max charge or None) with Decimal money."""
    return [
        (role, engagement, Decimal(pay), Decimal(charge) if charge is not None else None)
        for role, engagement, pay, charge in rows
    ]


MOU_VERSIONS = [
    {
        "name": "Agency Protocol January 2015",
        "effective_from": date(2015, 1, 1),
        "binds_existing_from": date(2015, 1, 1),
        "cooling_off_months": 12,
        "min_experience_years": 0,
        "notes": (
            "The first regional Agency Protocol. Pay caps for social workers (£22.50), senior social workers (£24.00) "
            "and team managers (£35.75) per hour as reported publicly for January 2015: the pay to the worker, "
            "excluding agency costs. No charge caps are known, so none are set. The AP and IRO caps are illustrative "
            "figures, not published caps."
        ),
        "caps": _caps(
            [
                ("SW", None, "22.50", None),
                ("SSW", None, "24.00", None),
                ("AP", None, "28.50", None),
                ("TM", None, "35.75", None),
                ("IRO", None, "31.00", None),
            ]
        ),
    },
    {
        "name": "April 2017 revision",
        "effective_from": date(2017, 4, 1),
        "binds_existing_from": date(2017, 7, 1),
        "cooling_off_months": 12,
        "min_experience_years": 0,
        "notes": f"{ILLUSTRATIVE} Adds charge caps (pay plus agency on-costs and margin) beside the pay caps.",
        "caps": _caps(
            [
                ("SW", None, "23.00", "31.50"),
                ("SSW", None, "25.00", "34.00"),
                ("AP", None, "29.00", "39.50"),
                ("TM", None, "36.00", "49.00"),
                ("IRO", None, "31.50", "43.00"),
            ]
        ),
    },
    {
        "name": "April 2018 revision",
        "effective_from": date(2018, 4, 1),
        "binds_existing_from": date(2018, 10, 1),
        "cooling_off_months": 12,
        "min_experience_years": 0,
        "notes": (
            f"{ILLUSTRATIVE} Introduces corrective actions: an agency found working outside the MoU is engaged and "
            "signs an agreement listing negotiated remedial actions; serious breaches can lead to suspension. "
            "Limited-company engagements get their own, higher caps for SW and SSW (the worker's company carries "
            "the employment costs)."
        ),
        "caps": _caps(
            [
                ("SW", None, "24.00", "32.50"),
                ("SW", "limited", "25.00", "34.00"),
                ("SSW", None, "26.00", "35.50"),
                ("SSW", "limited", "27.00", "36.50"),
                ("AP", None, "30.00", "40.50"),
                ("TM", None, "37.00", "50.00"),
                ("IRO", None, "32.50", "44.00"),
            ]
        ),
    },
    {
        "name": "January 2025 national-rules version",
        "effective_from": date(2025, 1, 1),
        "binds_existing_from": date(2025, 4, 1),
        "cooling_off_months": 12,
        "min_experience_years": 3,
        "min_references": 2,
        "notes": (
            f"{ILLUSTRATIVE} Follows the national rules of 2024: at least 3 years' post-qualifying experience, two "
            "practice-based references by the start, project teams only when the council has approved them with "
            "every worker named, a cap exceeded only with a recorded sign-off by the director of children's services "
            "and the chief executive, and a quarterly return on agency workers to the Department for Education. The "
            "pay cap compares the hourly pay alone, as the region's earlier versions did."
        ),
        "caps": _caps(
            [
                ("SW", None, "27.00", "36.50"),
                ("SW", "limited", "28.50", "38.50"),
                ("SSW", None, "29.00", "39.50"),
                ("SSW", "limited", "30.50", "41.50"),
                ("AP", None, "33.00", "44.50"),
                ("TM", None, "40.00", "54.00"),
                ("IRO", None, "36.00", "49.00"),
            ]
        ),
    },
]

# A draft the coordinator is weighing: tighter SW and SSW caps, so the what-if (/mou-versions/<id>/what-if/) has
# placements to show. Never brought into force by the demo.
DRAFT_VERSION = {
    "name": "April 2027 draft (for consultation)",
    "effective_from": date(2027, 4, 1),
    "binds_existing_from": date(2027, 10, 1),
    "cooling_off_months": 12,
    "min_experience_years": 3,
    "min_references": 2,
    "notes": f"{ILLUSTRATIVE} A draft for the what-if: lower SW and SSW caps, the others as in January 2025.",
    "caps": _caps(
        [
            ("SW", None, "26.00", "35.00"),
            ("SW", "limited", "27.50", "37.00"),
            ("SSW", None, "28.00", "38.00"),
            ("SSW", "limited", "29.50", "40.00"),
            ("AP", None, "33.00", "44.50"),
            ("TM", None, "40.00", "54.00"),
            ("IRO", None, "36.00", "49.00"),
        ]
    ),
}

# Invented agencies: the "(fictional)" in every name and the 99xxxxxx company numbers say they are not real firms.
# `weight` is how many placements an agency gets relative to the others.
MSP_NAME = "Brindley Managed Services Ltd (fictional)"
SUSPENDED_AGENCY_NAME = "Cannock Chase Locums Ltd (fictional)"
REMOVED_AGENCY_NAME = "Lickey Lane Agency Ltd (fictional)"
AGENCIES = [
    # (name, company number, MoU signed on, standing, is MSP, supplied through, weight)
    ("Kestrel Social Care Recruitment Ltd (fictional)", "99015001", date(2015, 1, 12), "approved", False, None, 16),
    ("Meridian Locum Partners Ltd (fictional)", "99015002", date(2015, 2, 2), "approved", False, None, 14),
    (MSP_NAME, "99015003", date(2016, 5, 9), "approved", True, None, 2),
    ("Arden Social Work Associates Ltd (fictional)", "99015004", date(2016, 5, 9), "approved", False, MSP_NAME, 8),
    ("Clent Hills Staffing Ltd (fictional)", "99015005", date(2016, 6, 20), "approved", False, MSP_NAME, 6),
    ("Wrekin Professional Locums Ltd (fictional)", "99015006", date(2017, 9, 4), "approved", False, MSP_NAME, 6),
    ("Severnside Care Professionals Ltd (fictional)", "99015007", date(2015, 3, 16), "approved", False, None, 10),
    ("Malvern Interim Social Work Ltd (fictional)", "99015008", date(2015, 7, 1), "approved", False, None, 8),
    (SUSPENDED_AGENCY_NAME, "99015009", date(2015, 1, 19), "suspended", False, None, 7),
    ("Tamworth Family Services Recruitment Ltd (fictional)", "99015010", date(2017, 4, 24), "approved", False, None, 9),
    (REMOVED_AGENCY_NAME, "99015011", date(2015, 10, 5), "removed", False, None, 4),
    ("Black Country Social Work Supply Ltd (fictional)", "99015012", date(2018, 11, 26), "approved", False, None, 10),
]
# The removed agency only supplied early placements, all over before it left the list.
REMOVED_AGENCY_LAST_END = date(2021, 12, 31)

SUSPENSION = {
    "agency": SUSPENDED_AGENCY_NAME,
    "kind": "temporary",
    "starts_on": date(2025, 11, 3),
    # Long enough that the demo agency is still suspended whenever the demo is shown.
    "ends_on": date(2027, 5, 3),
    "reason": (
        "Offered rates above the cap to social workers in post at two authorities after the corrective action "
        "agreed in 2025 (demo data: invented case)."
    ),
}

# (username, role, ONS code of the council user's authority, name of the agency user's agency, what they see)
DEMO_USER_SPECS = [
    ("coordinator", "coordinator", None, None, "everything; maintains MoU versions, breaches, suspensions"),
    ("analyst", "analyst", None, None, "everything, read-only"),
    ("solihull", "council", "E08000029", None, "Solihull's records, regional aggregates, agencies' standing"),
    ("coventry", "council", "E08000026", None, "Coventry's records, regional aggregates, agencies' standing"),
    ("kestrel", "agency", None, "Kestrel Social Care Recruitment Ltd (fictional)", "its own agency only (Kestrel)"),
    ("meridian", "agency", None, "Meridian Locum Partners Ltd (fictional)", "its own agency only (Meridian)"),
]
# For the run script: (username, role, what they see); every one logs in with DEMO_PASSWORD.
DEMO_USERS = [(username, role, sees) for username, role, _, _, sees in DEMO_USER_SPECS]

# Relative sizes of the authorities' agency workforces (Birmingham is the largest by far).
AUTHORITY_WEIGHTS = {
    "E08000025": 22,  # Birmingham
    "E10000028": 10,  # Staffordshire
    "E08000026": 8,  # Coventry
    "E10000031": 8,  # Warwickshire
    "E08000028": 7,  # Sandwell
    "E06000021": 7,  # Stoke-on-Trent
    "E10000034": 7,  # Worcestershire
    "E08000027": 6,  # Dudley
    "E08000030": 6,  # Walsall
    "E08000031": 6,  # Wolverhampton
    "E08000029": 5,  # Solihull
    "E06000051": 4,  # Shropshire
    "E06000020": 4,  # Telford and Wrekin
    "E06000019": 3,  # Herefordshire
}
ROLE_WEIGHTS = {"SW": 44, "SSW": 26, "AP": 9, "TM": 8, "IRO": 6, "SM": 7}
ENGAGEMENT_WEIGHTS = {"paye": 30, "umbrella": 40, "limited": 30}

# Workforce returns: quarterly from 2023-03-31 to 2025-09-30 for all 14 authorities, around these baselines
# (employed FTE, agency FTE, vacancies FTE, leavers FTE in the year, absence %). Invented, plausible figures (of the
# size of the official ones). New authorities go at the end: the noise is drawn in this order.
RETURN_BASELINES = {
    "E08000029": ("190.0", "34.0", "41.0", "29.0", "3.1"),  # Solihull
    "E08000026": ("312.0", "46.0", "55.0", "44.0", "3.4"),  # Coventry
    "E08000030": ("238.0", "51.0", "60.0", "39.0", "2.9"),  # Walsall
    "E06000020": ("171.0", "24.0", "30.0", "27.0", "2.6"),  # Telford and Wrekin
    "E08000025": ("770.0", "105.0", "160.0", "70.0", "3.8"),  # Birmingham
    "E08000027": ("150.0", "26.0", "32.0", "45.0", "4.5"),  # Dudley
    "E06000019": ("120.0", "30.0", "55.0", "16.0", "3.2"),  # Herefordshire
    "E08000028": ("260.0", "35.0", "30.0", "32.0", "5.0"),  # Sandwell
    "E06000051": ("155.0", "33.0", "28.0", "22.0", "3.0"),  # Shropshire
    "E10000028": ("435.0", "40.0", "100.0", "38.0", "4.9"),  # Staffordshire
    "E06000021": ("270.0", "55.0", "75.0", "26.0", "4.3"),  # Stoke-on-Trent
    "E10000031": ("440.0", "12.0", "25.0", "60.0", "4.0"),  # Warwickshire
    "E08000031": ("222.0", "28.0", "45.0", "24.0", "4.3"),  # Wolverhampton
    "E10000034": ("278.0", "38.0", "42.0", "35.0", "2.7"),  # Worcestershire
}
RETURN_FIRST_PERIOD = date(2023, 3, 31)

# Invented signatories of the cap exceptions, per authority: (director of children's services, chief executive).
SIGNATORIES = [
    ("Dr Alex Fenwick (fictional DCS)", "Sam Ortolan (fictional chief executive)"),
    ("Jo Marchbank (fictional DCS)", "Priya Castleford (fictional chief executive)"),
    ("Chris Upton-Hale (fictional DCS)", "Morgan Ellesmere (fictional chief executive)"),
]
EXCEPTION_REASONS = [
    "Hard-to-fill team manager post in a service under an improvement notice.",
    "Specialist court work backlog; no worker available within the cap after two rounds of recruitment.",
    "Cover for a long-term absence in a disabled children's team with statutory deadlines.",
    "Retaining the worker through an Ofsted monitoring visit; permanent recruitment under way.",
]

# Official statistics imported at the end, when the import command and the files are there (data/official/).
OFFICIAL_FILES = ["csww_indicators_2017_to_2025.csv", "csww_headline_measures_2017_to_2022.csv"]

# Practice-based references the demo's agencies record for placements starting under the national rules (2025 on):
# two each, dated a few weeks before the start, except about one placement in sixteen, which has one.
REFERENCES_FROM = date(2025, 1, 1)
REFEREES = [
    ("Ann Lee", "Team manager"),
    ("Raj Patel", "Practice supervisor"),
    ("Grace Okafor", "Service manager"),
    ("Tom Hughes", "Team manager"),
    ("Mei Chen", "Principal social worker"),
    ("Owen Price", "Assistant team manager"),
]
REFERENCE_ORGANISATIONS = [
    "Children's services, Staffordshire County Council",
    "Children's services, Shropshire Council",
    "Family support, Gloucestershire County Council",
    "Children's services, Leicester City Council",
    "Safeguarding, Derbyshire County Council",
]
# Project teams: each agency's project-team placements at a council are on one team the council approved before
# the first of them, except the workers of the two latest such placements, whom no team names.
PROJECT_TEAM_UNNAMED = 2
PROJECT_TEAM_APPROVER = "Director of children's services"
