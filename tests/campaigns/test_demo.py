"""The demo campaign tells one story: phase texts name the phases' own dates, every declaration that
says its evidence is attached has attachments, and each history line falls on its declared date."""

from django.utils import timezone

from zhengdun.activities import evidence
from zhengdun.activities.models import EvidenceFile
from zhengdun.campaigns.demo import DECLARED_NOTE, demo_pdf, demo_png, seed_campaign_demo
from zhengdun.campaigns.models import ActionCompletion, Campaign, CompletionEvent
from zhengdun.org.demo import seed_demo


def test_demo_campaign_is_consistent(db):
    seed_demo(officers_target=300)
    summary = seed_campaign_demo()
    assert summary["actions"] > 25 and summary["activities"] > 100
    campaign = Campaign.objects.get(name=summary["campaign"])
    learning = campaign.phases.get(key="learning")
    start, end = learning.start_date, learning.end_date
    assert "2月底至3月底" not in learning.goals
    assert f"从{start.month}月{start.day}日至{end.month}月{end.day}日" in learning.goals

    completions = list(ActionCompletion.objects.filter(action__campaign=campaign))
    assert completions
    with_files = set(EvidenceFile.objects.filter(completion__in=completions).values_list("completion_id", flat=True))
    assert {c.id for c in completions if DECLARED_NOTE in c.note} <= with_files
    now = timezone.now()
    for c in completions:
        declared = CompletionEvent.objects.get(completion=c, kind="declare")
        assert timezone.localdate(declared.at) == c.declared_on == timezone.localdate(c.declared_at)
        for later in CompletionEvent.objects.filter(completion=c).exclude(kind="declare"):
            assert declared.at <= later.at <= now
            assert later.at == c.reviewed_at
    assert seed_campaign_demo() == summary  # idempotent


def test_generated_attachments_pass_the_upload_checks():
    from django.core.files.base import ContentFile

    for name, content in (("报告.pdf", demo_pdf("demo")), ("照片.png", demo_png(seed=3))):
        checked = evidence.check_file(ContentFile(content, name=name), kind="other")
        assert checked.size == len(content)
