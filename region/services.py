"""Setting up the deployment's region (`setup_region`): its name and its authorities, from the official statistics."""

from dataclasses import dataclass

from django.db import transaction

from region.areas import REGIONS, region_code
from region.models import Authority, Region
from region.official import OFFICIAL_FILE, listed_authorities
from region.selectors import WEST_MIDLANDS, remember_region


class RegionSetupRefused(Exception):
    """The region cannot be set up here, for the reason given."""


@dataclass
class RegionSetup:
    region: Region
    authorities: int
    changed: bool
    year: int | None = None  # the statistics' year the authorities come from


def _records_of_the_authorities() -> dict[str, int]:
    """{what: how many} of the rows that name one of the current authorities (users, returns, placements, official
    figures, …): every relation to Authority, so a model added later is counted too."""
    held = {}
    for relation in Authority._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and relation.related_model is not Authority):
            continue
        model, name = relation.related_model, relation.field.name
        count = model._base_manager.filter(**{f"{name}__isnull": False}).distinct().count()
        if count:
            held[model] = held.get(model, 0) + count
    return {
        str(model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural): count
        for model, count in held.items()
    }


@transaction.atomic
def region_setup(*, name: str, path=OFFICIAL_FILE) -> RegionSetup:
    """Make the deployment `name`'s: its row, and its authorities (ONS and DfE codes, names) from the latest year of
    the official statistics in place of the default's. The same region again changes nothing; another region's
    is refused while any record names one of the current authorities (they would lose their council)."""
    code = region_code(name)
    if code is None:
        raise RegionSetupRefused(f"No English region is called {name!r}: one of {', '.join(REGIONS.values())}.")
    # The database's word, not this process's memory: another process may have set one up.
    current = Region.objects.first() or WEST_MIDLANDS
    if current.code == code:
        return RegionSetup(region=current, authorities=Authority.objects.count(), changed=False)
    held = _records_of_the_authorities()
    if held:
        what = ", ".join(f"{count} {label}" for label, count in sorted(held.items()))
        raise RegionSetupRefused(
            f"This database holds records of {current.in_prose} ({what}): they name its authorities, which "
            f"{REGIONS[code]} does not have. Set up {REGIONS[code]} on a fresh database: migrate, then setup_region, "
            "before anything else (importing the official statistics included)."
        )
    year, listed = listed_authorities(code, path=path)
    if not listed:
        raise RegionSetupRefused(f"The official statistics ({path}) list no authorities in {REGIONS[code]}.")
    Authority.objects.all().delete()
    # The statistics do not say which councils run children's services through a trust: a superuser marks those.
    Authority.objects.bulk_create(
        Authority(code=one.code, la_code=one.la_code, name=one.name, kind=Authority.Kind.COUNCIL) for one in listed
    )
    Region.objects.all().delete()
    region = Region.objects.create(code=code, name=REGIONS[code])
    remember_region(region)  # this process's pages name it from now on
    return RegionSetup(region=region, authorities=len(listed), changed=True, year=year)
