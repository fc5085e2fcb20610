"""Checks that keep the shape of DESIGN.md: scoped models, thin views."""

import re
from pathlib import Path

from django.apps import apps

from zhengdun.org.models import UnitScoped

SRC = Path(__file__).resolve().parent.parent / "src" / "zhengdun"

# Reference tables and records read only through a parent that is itself scoped.
NOT_UNIT_SCOPED = {
    "audit.AuditEntry", "audit.AuditSeal", "audit.AuditContext",  # read by the audit administrator only
    "org.Unit",  # the tree itself: Unit.objects.within(scope)
    "org.User", "org.RoleAssignment", "org.ApiToken",  # accounts: administrators and the owner
    "campaigns.CampaignTemplate",  # has its own optional unit and within()
    "campaigns.CampaignScopeUnit", "campaigns.Phase", "campaigns.Task", "campaigns.FocusProblem",
    "campaigns.ChronicProblem",  # parts of a campaign, read through a visible campaign
    "activities.ActivityType",  # reference table
}


def test_every_model_is_unit_scoped_or_allow_listed():
    offenders = [m._meta.label for m in apps.get_models()
                 if m.__module__.startswith("zhengdun.") and not issubclass(m, UnitScoped)
                 and m._meta.label not in NOT_UNIT_SCOPED]
    assert offenders == [], f"unit-scope these models or allow-list them with a reason: {offenders}"


def test_no_view_module_queries_models_directly():
    offenders = []
    for path in SRC.rglob("views*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.objects\b", line):
                offenders.append(f"{path.relative_to(SRC)}:{number}")
    assert offenders == [], f"views must read through selectors and write through services: {offenders}"
