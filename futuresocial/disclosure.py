"""The one disclosure rule for every figure added up over other tenants' records (issue 17, point 4).

A figure is a group of records added up: the region's pay rates of a role in a month, the councils' workforce
returns summed for a period end. Read by someone inside the group's scope (the coordinator and analysts, who see
everything; a council reading its own authority's figures, which are its own placements), it is shown in full.
Read from outside it (a council reading the region's figures, an agency reading anything built on other agencies'
work), it is **withheld** (DfE's code `c`, "confidential") when it rests on fewer than

- `MIN_PLACEMENTS` placements: with one, the "average" is that placement's rate; with two, either party (a council
  whose placement is one of them) subtracts its own and reads the other's. Three is the threshold the DfE and the ONS
  apply to published counts, and the smallest group in which no single contributor can work out another's figure;
- `MIN_AUTHORITIES` authorities, for a figure summing several authorities: a council knows its own part of the sum,
  so with two authorities the rest is the other council's. This is the rule the workforce sums have always applied.

A lowest and highest rate is an individual's rate by definition: it is shown only with the group it belongs to, so
never for a group below the threshold.

A figure adding up several groups (the region's rates of a role over a year: twelve months, each engagement type,
before or under the caps) read from outside adds up **only the groups large enough** (`LARGE_ENOUGH`, on summary
rows that count their placements and authorities), and is withheld when none is. Then any difference of two figures
shown (a period minus a shorter one, every type minus some) is itself a sum of large groups, so it gives no small
group away; and withholding a whole year for one rare month would leave a council nothing to compare with.

Callers pass the counts of the group they show (`placements`, `authorities`; None when the figure has no such
count, e.g. a workforce return is per authority, not per placement), and whether the reader is outside its scope
(`reads_from_outside`). What a group is, and how to count it at the grain a page shows, is theirs to know.
"""

from django.db.models import Q

MIN_PLACEMENTS = 3
MIN_AUTHORITIES = 3
WITHHELD = "c"  # DfE's code for a figure withheld to protect confidentiality
WITHHELD_LABEL = "withheld (confidential)"
WITHHELD_REASON = (
    f"a figure resting on fewer than {MIN_PLACEMENTS} placements or {MIN_AUTHORITIES} authorities would give "
    "another authority's or agency's figures away"
)


# The summary rows (columns `placements`, `authorities`) large enough to add into a figure read from outside.
LARGE_ENOUGH = Q(placements__gte=MIN_PLACEMENTS, authorities__gte=MIN_AUTHORITIES)


def is_small(*, placements: int | None = None, authorities: int | None = None) -> bool:
    """Whether a group is too small to show outside its scope (None: the count does not apply to this figure)."""
    return (placements is not None and placements < MIN_PLACEMENTS) or (
        authorities is not None and authorities < MIN_AUTHORITIES
    )


def reads_from_outside(user, *, authority_id: int | None = None) -> bool:
    """Whether `user` reads a group of `authority_id`'s records (None: the region's, every authority's) from outside
    its scope: everyone but the coordinator and analysts for the region's, everyone but its own council for an
    authority's. An agency is outside every group but its own agency's work, and reads none of these."""
    if user.is_regional:
        return False
    return authority_id is None or not user.is_council or authority_id != user.authority_id


def withheld_from(user, *, authority_id: int | None = None, placements=None, authorities=None) -> bool:
    """The rule: withheld when read from outside the group's scope and the group is small."""
    return reads_from_outside(user, authority_id=authority_id) and is_small(
        placements=placements, authorities=authorities
    )


# What a page says about the code (templates/dashboards/_withheld.html).
EXPLAINED = {
    "code": WITHHELD,
    "label": WITHHELD_LABEL,
    "min_placements": MIN_PLACEMENTS,
    "min_authorities": MIN_AUTHORITIES,
}
