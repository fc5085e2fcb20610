"""Distinct counts by the officer's *current* unit (coverage, study, exam and pledge rates are about
the current roster): stats_distinctfirst (ancestor-expanded by the record's unit) gives way to
stats_officerfirst (one row per officer, kind and campaign key), and stats_distinctdaily gains the
officer category (rates are restricted to the campaign's categories, like the roster). Then every
rollup is rebuilt with the current code — action rows now count target units only — and the
triggers (which now also follow unit moves and updates, officer transfers, campaign scope changes)
are installed.

The rollups are derived data, so going back is not supported: migrate back to 0002 and the tables
would have to be rebuilt by the old code."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from zhengdun.stats import models as stats_models
    from zhengdun.stats.rollups import COVERING_INDEXES, rebuild

    connection = schema_editor.connection
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS stats_distinctfirst")  # its triggers go with it
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS zd_stats_stats_distinctfirst()")
    if "stats_distinctdaily" in tables:
        schema_editor.delete_model(stats_models.DistinctDaily)
    schema_editor.create_model(stats_models.DistinctDaily)
    if "stats_officerfirst" not in tables:
        schema_editor.create_model(stats_models.OfficerFirst)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in COVERING_INDEXES:
                cursor.execute(sql)
    rebuild(using=connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ("stats", "0002_counttotal"),
        ("org", "0003_id_number_hash_single_index"),
        ("activities", "0003_activity_types"),
        ("learning", "0001_initial"),
        ("campaigns", "0002_builtin_template"),
    ]

    operations = [
        migrations.CreateModel(
            name="OfficerFirst",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("officer_id", models.BigIntegerField()),
                ("kind", models.CharField(max_length=8)),
                ("campaign_id", models.BigIntegerField(default=0)),
                ("category", models.CharField(max_length=12)),
                ("roster", models.BooleanField(default=True)),
                ("first_date", models.DateField()),
                ("n", models.BigIntegerField(default=0)),
            ],
            options={
                "db_table": "stats_officerfirst",
                "managed": False,
            },
        ),
        migrations.DeleteModel(
            name="DistinctFirst",
        ),
        migrations.RunPython(forwards),
    ]
