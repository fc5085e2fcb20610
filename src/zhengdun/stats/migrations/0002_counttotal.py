"""stats_counttotal: CountDaily without the date (the dashboard's default range reads it).
Created from the model and filled from stats_countdaily; the triggers that maintain it are
installed by the latest stats migration (0003, which rebuilds every rollup with the current code).
On PostgreSQL also the covering indexes of rollups.COVERING_INDEXES (index-only reads for the
dashboard)."""

import django.db.models.deletion
from django.db import migrations, models


def create_table(apps, schema_editor):
    from zhengdun.stats.models import CountTotal
    from zhengdun.stats.rollups import COUNT_TOTAL_FROM_DAILY, COVERING_INDEXES

    connection = schema_editor.connection
    if "stats_counttotal" not in connection.introspection.table_names():
        schema_editor.create_model(CountTotal)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM stats_counttotal")
        cursor.execute(COUNT_TOTAL_FROM_DAILY)
        if connection.vendor == "postgresql":
            for sql in COVERING_INDEXES:
                cursor.execute(sql)
            cursor.execute("ANALYZE stats_counttotal")


def drop_table(apps, schema_editor):
    from zhengdun.stats import triggers
    from zhengdun.stats.models import CountTotal

    triggers.uninstall(using=schema_editor.connection.alias)
    schema_editor.delete_model(CountTotal)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS stats_distinctdaily_cover")
        schema_editor.execute("DROP INDEX IF EXISTS stats_actionroll_cover")


class Migration(migrations.Migration):

    dependencies = [
        ("org", "0002_officer_left_date"),
        ("stats", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="CountTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=8)),
                ("campaign_id", models.BigIntegerField(default=0)),
                ("dim_a", models.CharField(default="", max_length=30)),
                ("dim_b", models.CharField(default="", max_length=30)),
                ("n", models.BigIntegerField(default=0)),
                ("total", models.BigIntegerField(default=0)),
                ("unit", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                           to="org.unit")),
            ],
            options={
                "db_table": "stats_counttotal",
                "managed": False,
            },
        ),
        migrations.RunPython(create_table, drop_table),
    ]
