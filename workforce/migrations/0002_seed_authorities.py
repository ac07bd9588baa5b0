"""The 14 councils and children's trusts of the Agency Protocol, with the codes the DfE statistics use."""

from django.db import migrations

AUTHORITIES = [
    # (ONS code, DfE LA code, name, kind)
    ("E08000025", "330", "Birmingham", "trust"),  # Birmingham Children's Trust since 2018
    ("E08000026", "331", "Coventry", "council"),
    ("E08000027", "332", "Dudley", "council"),
    ("E06000019", "884", "Herefordshire", "council"),
    ("E08000028", "333", "Sandwell", "trust"),  # Sandwell Children's Trust since 2018
    ("E06000051", "893", "Shropshire", "council"),
    ("E08000029", "334", "Solihull", "council"),
    ("E10000028", "860", "Staffordshire", "council"),
    ("E06000021", "861", "Stoke-on-Trent", "council"),
    ("E06000020", "894", "Telford and Wrekin", "council"),
    ("E08000030", "335", "Walsall", "council"),
    ("E10000031", "937", "Warwickshire", "council"),
    ("E08000031", "336", "Wolverhampton", "council"),
    ("E10000034", "885", "Worcestershire", "council"),
]


def seed(apps, schema_editor):
    try:
        Authority = apps.get_model("workforce", "Authority")
    except LookupError:  # the live registry (tests seed again after a flush): the authority is region's since 0004
        Authority = apps.get_model("region", "Authority")
    for code, la_code, name, kind in AUTHORITIES:
        Authority.objects.update_or_create(code=code, defaults={"la_code": la_code, "name": name, "kind": kind})


class Migration(migrations.Migration):
    dependencies = [("workforce", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
