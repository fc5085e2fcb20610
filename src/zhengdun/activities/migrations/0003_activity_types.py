"""Seed the built-in activity types (configurable reference data)."""

from django.db import migrations

TYPES = [
    ("special_meeting", "专题会议", ""),
    ("leading_group", "领导小组会议", ""),
    ("training", "专题培训", "political"),
    ("party_lecture", "讲党课", "party_history"),
    ("warning_conference", "警示教育大会", "warning"),
    ("role_model_report", "英模事迹报告会", "role_model"),
    ("experience_exchange", "心得体会交流会", "political"),
    ("contact_visit", "走访联系点", ""),
    ("hearing_attendance", "旁听庭审", ""),
    ("open_day", "开放日", ""),
    ("press_conference", "新闻发布会", ""),
    ("public_forum", "群众座谈会", ""),
]


def seed(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    for order, (code, name, category) in enumerate(TYPES, start=1):
        ActivityType.objects.get_or_create(code=code, defaults={
            "name": name, "education_category": category, "sort_order": order * 10, "is_builtin": True})


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
