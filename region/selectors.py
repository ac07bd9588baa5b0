"""The region the deployment serves: its name in every title, page, email, export and API description, read through
`deployment_region()` and nowhere else."""

from django.db import DatabaseError

from region.models import Region

# The product's default: a plain `migrate` seeds the West Midlands' 14 authorities (workforce migration 0002).
WEST_MIDLANDS = Region(code="E12000005", name="West Midlands")

# Read once per process and kept: every page names the region, and only `setup_region` changes it, on a database
# with nothing else in it, before anyone uses the app (the command says to restart the app and workers).
_remembered: dict[str, Region] = {}


def deployment_region() -> Region:
    """The region set up by `setup_region`, else the West Midlands."""
    if "region" not in _remembered:
        try:
            region = Region.objects.first()
        except DatabaseError:
            # Before `migrate` (a deploy's `check --deploy` builds the API schema, which names the region): the
            # default, not remembered, so the next use reads the table once it exists.
            return WEST_MIDLANDS
        _remembered["region"] = region or WEST_MIDLANDS
    return _remembered["region"]


def region_name() -> str:
    return deployment_region().name


def region_label(*, authorities: int) -> str:
    """The region as a figure's area: "West Midlands (14 authorities)"."""
    return f"{region_name()} ({authorities} authorities)"


def remember_region(region: Region | None) -> None:
    """Keep `region` as this process's (`setup_region` after writing it); None: read it again on the next use."""
    _remembered.pop("region", None)
    if region is not None:
        _remembered["region"] = region
