from django.db import migrations, models


def content_type_follows(apps, schema_editor):
    """The admin's log and permissions name the authority by content type: keep them pointing at the same rows."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="workforce", model="authority").update(app_label="region")


class Migration(migrations.Migration):
    """The authority moves from the workforce-returns app to an app of its own; its table keeps its name and rows."""

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("workforce", "0003_return_field_validators"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Authority",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("code", models.CharField(help_text="ONS code, e.g. E08000025", max_length=9, unique=True)),
                        (
                            "la_code",
                            models.CharField(
                                help_text="DfE code, e.g. 330", max_length=3, unique=True, verbose_name="DfE LA code"
                            ),
                        ),
                        ("name", models.CharField(max_length=100, unique=True)),
                        (
                            "kind",
                            models.CharField(
                                choices=[("council", "Council"), ("trust", "Children's trust")],
                                default="council",
                                max_length=10,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "authorities",
                        "db_table": "workforce_authority",
                        "ordering": ["name"],
                    },
                ),
            ],
            database_operations=[migrations.RunPython(content_type_follows, migrations.RunPython.noop)],
        ),
    ]
