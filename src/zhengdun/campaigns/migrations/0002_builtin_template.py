"""Seed the built-in 2021 campaign template (reference data, no unit)."""

import copy

from django.db import migrations


def seed(apps, schema_editor):
    from zhengdun.campaigns.builtin import BUILTIN_2021, BUILTIN_2021_CODE

    CampaignTemplate = apps.get_model("campaigns", "CampaignTemplate")
    if not CampaignTemplate.objects.filter(code=BUILTIN_2021_CODE, is_builtin=True).exists():
        CampaignTemplate.objects.create(
            code=BUILTIN_2021_CODE, is_builtin=True, name="2021年政法队伍教育整顿（内置模板）",
            description="“1345”：一个目标、三个环节、四项任务、五大问题；含六大顽瘴痼疾和各环节规定动作示例。",
            data=copy.deepcopy(BUILTIN_2021))


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
