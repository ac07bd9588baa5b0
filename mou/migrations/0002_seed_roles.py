"""The national job types the caps are set against; roles above team manager are outside the MoU."""

from django.db import migrations

ROLES = [
    # (code, name, capped, rank)
    ("SW", "Social worker", True, 10),
    ("SSW", "Senior social worker", True, 20),
    (
        "AP",
        "Advanced practitioner (incl. assistant team manager, practice supervisor, principal social worker)",
        True,
        30,
    ),
    ("TM", "Team manager", True, 40),
    ("IRO", "Independent reviewing officer / conference chair", True, 50),
    ("SM", "Service manager", False, 60),
]


def seed(apps, schema_editor):
    Role = apps.get_model("mou", "Role")
    for code, name, capped, rank in ROLES:
        Role.objects.update_or_create(code=code, defaults={"name": name, "capped": capped, "rank": rank})


class Migration(migrations.Migration):
    dependencies = [("mou", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
