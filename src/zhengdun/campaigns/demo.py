"""Demo campaign for the demo city (zhengdun.org.demo): a running 2021-template campaign placed so
that today falls in the 查纠整改 phase, with city and county required actions, optional actions,
completions (some overdue, some due soon, some returned), activity records with participants,
talks and pledge letters. Deterministic and idempotent."""

from __future__ import annotations

import datetime as dt
import random
import re
import struct
import zlib

from django.core.files.base import ContentFile
from django.utils import timezone

from zhengdun.activities import evidence
from zhengdun.activities.models import (
    ActivityParticipant,
    ActivityRecord,
    ActivityType,
    EvidenceKind,
    ParticipantMode,
    PledgeLetter,
    TalkKind,
    TalkRecord,
)
from zhengdun.audit.chain import audited
from zhengdun.campaigns import services
from zhengdun.campaigns.models import (
    Action,
    ActionCompletion,
    ActionKind,
    Campaign,
    CompletionEvent,
    CompletionStatus,
    Phase,
    csv_field,
)
from zhengdun.org.models import Level, Officer, Unit, UnitKind

DEMO_CAMPAIGN_NAME = "江州市政法队伍教育整顿（演示）"
CITY_CODE = "JZ"

TITLES = {
    "special_meeting": ["教育整顿专题会议", "学习贯彻习近平法治思想专题会", "查纠整改推进会"],
    "leading_group": ["教育整顿领导小组会议", "领导小组第{n}次会议"],
    "training": ["政治轮训专题培训", "执法规范化专题培训", "习近平法治思想专题讲座"],
    "party_lecture": ["党组书记讲专题党课", "“学党史、悟思想”专题党课"],
    "warning_conference": ["警示教育大会", "观看警示教育片《迷失的初心》"],
    "role_model_report": ["英模事迹报告会", "收看全国政法英模事迹报告会"],
    "experience_exchange": ["“教育整顿大家谈”心得体会交流会", "学习心得交流会"],
    "contact_visit": ["走访联系点", "“六访”活动走访企业"],
    "hearing_attendance": ["组织旁听庭审", "旁听职务犯罪案件庭审"],
    "open_day": ["检察开放日", "警营开放日"],
    "press_conference": ["教育整顿新闻发布会"],
    "public_forum": ["群众座谈会", "律师、企业家座谈会"],
}
PLACES = ["机关三楼会议室", "党员活动室", "一楼报告厅", "视频会议室", "联系点村委会", "审判法庭"]
RETURN_REASONS = ["佐证材料缺少签到表，请补充后重新申报", "会议记录不完整，未体现研讨发言情况",
                  "未附现场照片，请补充", "承诺书签订情况统计与名册人数不符，请核实"]

# A minimal one-page PDF used as the demo sign-in sheet.
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
DECLARED_NOTE = "已按要求完成，佐证材料见附件"


def demo_pdf(text: str) -> bytes:
    """A small valid one-page PDF showing `text` (ASCII): the demo's 'report' attachment."""
    safe = text.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 12 Tf 40 150 Td ({safe}) Tj ET".encode("ascii", "replace")
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 420 200]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>>",
               b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
               b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def demo_png(width: int = 96, height: int = 64, seed: int = 0) -> bytes:
    """A small valid PNG (a coloured band picture) standing in for a scene photo."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    shade = 120 + seed % 100
    rows = b"".join(b"\x00" + b"".join(bytes((shade if y < height // 2 else 60, 40 + (x * 2) % 160, 90))
                                       for x in range(width))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def seed_campaign_demo(*, today: dt.date | None = None, seed: int = 2021) -> dict | None:
    """Build the demo campaign once on top of the demo city; None when the city is not there."""
    city = Unit.objects.filter(code=CITY_CODE).first()
    if city is None:
        return None
    existing = Campaign.objects.filter(unit=city, name=DEMO_CAMPAIGN_NAME).first()
    if existing is None:
        existing = _build(city, today or timezone.localdate(), random.Random(seed))
    return {
        "campaign": existing.name,
        "actions": Action.objects.filter(campaign=existing).count(),
        "activities": ActivityRecord.objects.filter(campaign=existing).count(),
        "participants": ActivityParticipant.objects.filter(activity__campaign=existing).count(),
        "talks": TalkRecord.objects.filter(campaign=existing).count(),
        "pledges": PledgeLetter.objects.filter(campaign=existing).count(),
    }


def _build(city: Unit, today: dt.date, rng: random.Random) -> Campaign:
    template = services.template_seed_builtin()
    # Place the template's 10 May (middle of 查纠整改, 1 Apr–15 Jun) on today.
    offset = (today - dt.date(today.year, 5, 10)).days
    campaign = services.campaign_create_from_template(actor=None, template=template, name=DEMO_CAMPAIGN_NAME,
                                                      year=today.year, owner_unit=city, offset_days=offset)
    _phase_texts_to_dates(campaign)
    units = list(Unit.objects.filter(path__startswith=city.path).exclude(pk=city.pk).order_by("path"))
    counties = [u for u in units if u.level == Level.COUNTY]
    officers_by_unit: dict[int, list[Officer]] = {}
    for officer in Officer.objects.filter(unit__path__startswith=city.path, status="serving").order_by("id"):
        officers_by_unit.setdefault(officer.unit_id, []).append(officer)
    phases = {p.key: p for p in campaign.phases.all()}
    with audited(actor=None, action="demo.seed_campaign"):
        county_actions = _county_actions(campaign, counties, phases, today)
        optional = _optional_actions(campaign, units, phases, today, rng)
        _completions(campaign, units, county_actions, optional, today, rng)
        _activities(campaign, units, officers_by_unit, today, rng)
        _talks(campaign, officers_by_unit, today, rng)
        _pledges(campaign, officers_by_unit, phases, rng)
    return campaign


def _phase_texts_to_dates(campaign: Campaign) -> None:
    """The 2021 template's goals name its own dates ("学习教育从2月底至3月底"); the demo campaign is
    shifted to today, so such a span is rewritten to the phase's real dates."""
    span = re.compile(r"从[^，。；]{1,12}?至[^，。；]{1,12}?(?=[，。；])")
    for phase in Phase.objects.filter(campaign=campaign):
        goals = span.sub(f"从{phase.start_date.month}月{phase.start_date.day}日至"
                         f"{phase.end_date.month}月{phase.end_date.day}日", phase.goals or "")
        if goals != phase.goals:
            Phase.objects.filter(pk=phase.pk).update(goals=goals)


def _county_actions(campaign, counties, phases, today) -> list[Action]:
    rect, learn = phases["rectification"], phases["learning"]
    rows = []
    for county in counties:
        rows += [
            Action(unit=county, campaign=campaign, phase=learn, kind=ActionKind.REQUIRED,
                   title=f"{county.name}政法干警“三个规定”应知应会测试", deadline=learn.end_date - dt.timedelta(days=3),
                   evidence_requirement="测试组织情况及成绩统计"),
            Action(unit=county, campaign=campaign, phase=rect, kind=ActionKind.REQUIRED,
                   title=f"{county.name}派出所执法规范化专项检查", deadline=today + dt.timedelta(days=2),
                   evidence_requirement="检查记录、问题清单", target_kinds=csv_field([UnitKind.POLICE])),
            Action(unit=county, campaign=campaign, phase=rect, kind=ActionKind.REQUIRED,
                   title=f"{county.name}政法单位开展“我为群众办实事”走访", deadline=today - dt.timedelta(days=4),
                   evidence_requirement="走访记录、办实事清单", target_levels=csv_field([Level.UNIT])),
            Action(unit=county, campaign=campaign, phase=rect, kind=ActionKind.REQUIRED,
                   title=f"{county.name}组织旁听庭审活动", deadline=rect.end_date - dt.timedelta(days=5),
                   evidence_requirement="旁听人员签到表、心得体会",
                   target_kinds=csv_field([UnitKind.COURT, UnitKind.PROCURATORATE])),
        ]
    return Action.objects.bulk_create(rows)


def _optional_actions(campaign, units, phases, today, rng) -> list[Action]:
    ideas = ["开展“一村一警”联系群众活动", "组织青年干警读书分享会", "开展“法官进社区”普法宣传",
             "建立干警家属廉洁助廉小组", "开展窗口服务“好差评”整改"]
    rows = []
    for unit in rng.sample([u for u in units if u.level == Level.UNIT], 12):
        rows.append(Action(unit=unit, campaign=campaign, phase=phases["rectification"], kind=ActionKind.OPTIONAL,
                           title=rng.choice(ideas), deadline=today + dt.timedelta(days=rng.choice([-6, 1, 12, 25])),
                           evidence_requirement="活动记录及照片"))
    return Action.objects.bulk_create(rows)


def _at(day: dt.date, rng: random.Random, now: dt.datetime) -> dt.datetime:
    """A working-hours moment on `day` (Beijing time), never after now."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59))))
    return min(moment, now)


def _completions(campaign, units, county_actions, optional, today, rng) -> None:
    """Declarations, confirmations and returns, each at a moment that agrees with its declared date
    (the history line of a completion shows the same day as its 申报日期), each declaration with the
    attachments its note speaks of: a small generated report (PDF) and for some a photo (PNG)."""
    city_actions = list(Action.objects.filter(campaign=campaign, unit=campaign.unit))
    now = timezone.now()
    completions, events, moments = [], [], {}
    targets = [(a, u) for a in city_actions + county_actions for u in units if a.targets(u)]
    targets += [(a, a.unit) for a in optional]
    for action, unit in targets:
        days_left = (action.deadline - today).days
        if days_left > 12:
            continue
        p = rng.random()
        if days_left < 0 and p < 0.12:  # overdue and not declared -> red
            continue
        if 0 <= days_left <= 3 and p < 0.6:  # due soon and not declared -> yellow
            continue
        if days_left > 3 and p < 0.7:
            continue
        declared_on = min(today, action.deadline - dt.timedelta(days=rng.randint(0, 6)))
        declared_at = _at(declared_on, rng, now)
        status = CompletionStatus.DECLARED
        reason, returns, reviewed_at = "", 0, None
        if action.kind == ActionKind.REQUIRED and days_left < 0:
            q = rng.random()
            if q < 0.75:
                review_day = min(today, declared_on + dt.timedelta(days=rng.randint(1, 4)))
                reviewed_at = max(declared_at, _at(review_day, rng, now))
                if q < 0.06:
                    status, reason, returns = CompletionStatus.RETURNED, rng.choice(RETURN_REASONS), 1
                else:
                    status = CompletionStatus.ACCEPTED
        moments[(action.id, unit.id)] = (declared_at, reviewed_at)
        completions.append(ActionCompletion(
            action=action, unit=unit, status=status, note=DECLARED_NOTE, declared_on=declared_on,
            declared_at=declared_at, return_reason=reason, return_count=returns, reviewed_at=reviewed_at))
    ActionCompletion.objects.bulk_create(completions, batch_size=1000)
    saved = list(ActionCompletion.objects.filter(action__campaign=campaign).select_related("action", "unit"))
    for c in saved:
        declared_at, reviewed_at = moments.get((c.action_id, c.unit_id), (c.declared_at or now, c.reviewed_at))
        events.append(CompletionEvent(completion=c, unit_id=c.unit_id, kind="declare", text=c.note, at=declared_at))
        if c.status == CompletionStatus.RETURNED:
            events.append(CompletionEvent(completion=c, unit_id=c.unit_id, kind="return", text=c.return_reason,
                                          at=reviewed_at or declared_at))
        elif c.status == CompletionStatus.ACCEPTED:
            events.append(CompletionEvent(completion=c, unit_id=c.unit_id, kind="accept", at=reviewed_at or declared_at))
    CompletionEvent.objects.bulk_create(events, batch_size=1000)
    with evidence.StoredFiles() as stored:
        for n, c in enumerate(saved):
            files = [(ContentFile(demo_pdf(f"Zhengdun demo - action {c.action_id} carried out by unit {c.unit.code}, "
                                           f"declared {c.declared_on:%Y-%m-%d}"), name="落实情况报告.pdf"),
                      EvidenceKind.OTHER)]
            if n % 5 < 2:
                files.append((ContentFile(demo_png(seed=n), name="现场照片.png"), EvidenceKind.PHOTO))
            stored.store([evidence.check_file(f, kind=kind) for f, kind in files], unit_id=c.unit_id, actor=None,
                         completion=c)


def _activities(campaign, units, officers_by_unit, today, rng) -> None:
    types = {t.code: t for t in ActivityType.objects.filter(is_builtin=True)}
    span = max(1, (today - campaign.start_date).days)
    records, planned = [], []
    for unit in units:
        roster = officers_by_unit.get(unit.id, [])
        for n in range(rng.randint(5, 9)):
            code = rng.choice(list(types))
            day = campaign.start_date + dt.timedelta(days=rng.randint(0, span))
            title = rng.choice(TITLES[code]).format(n=n + 1)
            if roster and rng.random() < 0.85:
                people = rng.sample(roster, max(1, int(len(roster) * rng.uniform(0.3, 0.8))))
                mode, headcount = ParticipantMode.ROSTER, 0
            else:
                people, mode, headcount = [], ParticipantMode.HEADCOUNT, rng.randint(20, 120)
            records.append(ActivityRecord(
                unit=unit, campaign=campaign, activity_type=types[code],
                education_category=types[code].education_category, title=f"{unit.name}{title}", date=day,
                place=rng.choice(PLACES), organiser=f"{unit.name}政治处", participant_mode=mode, headcount=headcount,
                person_times=len(people) if people else headcount, summary="传达学习上级部署要求，结合本单位实际研究落实措施。"))
            planned.append(people)
    records = ActivityRecord.objects.bulk_create(records, batch_size=500)
    participants = [ActivityParticipant(activity=r, officer=o, unit_id=o.unit_id, date=r.date)
                    for r, people in zip(records, planned, strict=True) for o in people]
    ActivityParticipant.objects.bulk_create(participants, batch_size=2000)
    with evidence.StoredFiles() as stored:
        for record in records:
            if record.participant_mode == ParticipantMode.HEADCOUNT:
                upload = ContentFile(DEMO_PDF, name="签到表.pdf")
                stored.store([evidence.check_file(upload, kind=EvidenceKind.SIGN_IN)], unit_id=record.unit_id,
                             actor=None, activity=record)


def _talks(campaign, officers_by_unit, today, rng) -> None:
    rows = []
    start = campaign.start_date + dt.timedelta(days=35)
    for roster in officers_by_unit.values():
        if len(roster) < 2:
            continue
        head = roster[0]
        for officer in roster[1:]:
            if rng.random() < 0.8:
                rows.append(TalkRecord(campaign=campaign, unit_id=officer.unit_id, talker=head, officer=officer,
                                       round=1, date=min(today, start + dt.timedelta(days=rng.randint(0, 20))),
                                       kind=TalkKind.HEART, note="了解思想动态和工作生活情况，提醒严守“三个规定”。"))
            if rng.random() < 0.05:
                rows.append(TalkRecord(campaign=campaign, unit_id=officer.unit_id, talker=head, officer=officer,
                                       round=2, date=min(today, start + dt.timedelta(days=rng.randint(21, 35))),
                                       kind=TalkKind.REMINDER, note="就自查事项填报不完整进行提醒谈话。"))
    TalkRecord.objects.bulk_create(rows, batch_size=1000)


def _pledges(campaign, officers_by_unit, phases, rng) -> None:
    learn = phases["learning"]
    rows = [PledgeLetter(campaign=campaign, unit_id=o.unit_id, officer=o,
                         signed_date=learn.start_date + dt.timedelta(days=rng.randint(5, 30)))
            for roster in officers_by_unit.values() for o in roster if rng.random() < 0.9]
    PledgeLetter.objects.bulk_create(rows, batch_size=1000)
