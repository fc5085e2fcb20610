"""A small world for the statistics tests: the cast's city with a running campaign and records in
range and out of it, inside county A and outside it (county B), and in a decoy campaign."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.campaigns.factories import running_campaign
from tests.conftest import make_id
from tests.learning.factories import make_exam, submitted_attempt
from zhengdun.activities import services as act
from zhengdun.activities.models import ActivityParticipant, ActivityRecord, ActivityType, ParticipantMode
from zhengdun.campaigns import services as camp
from zhengdun.campaigns.models import Action, ActionKind
from zhengdun.campaigns.services import campaign_create_from_template, template_seed_builtin
from zhengdun.learning.models import ExamAttempt, StudyRecord
from zhengdun.org.services import officer_create
from zhengdun.stats.selectors import Ctx


@dataclass
class World:
    cast: object
    campaign: object
    decoy: object
    today: dt.date
    date_from: dt.date
    date_to: dt.date
    officers: dict
    activities: list

    def ctx(self, user, unit, *, campaign="main", date_from=None, date_to=None, **kw):
        from zhengdun.org.access import scope_for

        chosen = {"main": self.campaign, "decoy": self.decoy, None: None}[campaign]
        return Ctx(scope_for(user), unit, date_from or self.date_from, date_to or self.date_to, chosen,
                   today=self.today, **kw)


def _officer(cast, unit, key, seq, **fields):
    region = "360101" if unit.path.startswith(cast.county_a.path) else "360102"
    return officer_create(actor=None, unit=unit, id_number=make_id(region, "19900101", seq), name=key,
                          gender="M", birth_date=dt.date(1990, 1, 1), **fields)


def build_world(cast) -> World:
    today = timezone.localdate()
    campaign = running_campaign(cast, today=today, with_actions=True)
    decoy = campaign_create_from_template(actor=cast.city_admin, template=template_seed_builtin(), name="另一计划",
                                          year=2021, owner_unit=cast.city,
                                          offset_days=(today - dt.date(2021, 5, 10)).days, with_actions=False)
    o = dict(cast.officers)
    o["a2"] = _officer(cast, cast.court_a, "甲二", 41)
    o["a3"] = _officer(cast, cast.court_a, "甲三", 42)
    o["aux"] = _officer(cast, cast.police_a, "辅警", 43, category="auxiliary")
    o["retired"] = _officer(cast, cast.court_a, "退休", 44, status="retired")
    o["b2"] = _officer(cast, cast.court_b, "乙二", 45)
    date_from, date_to = today - dt.timedelta(days=20), today + dt.timedelta(days=5)
    inside, before, after = today - dt.timedelta(days=5), today - dt.timedelta(days=25), today + dt.timedelta(days=10)
    types = {t.code: t for t in ActivityType.objects.all()}
    admin = {"a": cast.admin_a, "b": cast.admin_b}

    def activity(unit, side, day, people, code="special_meeting", campaign_=campaign):
        return act.activity_create(actor=admin[side], unit=unit, campaign=campaign_, activity_type=types[code],
                                   title=f"{code}-{day}", date=day, participants=people)

    acts = [
        activity(cast.court_a, "a", inside, [o["judge_a"], o["a2"]], "training"),
        activity(cast.court_a, "a", date_from, [o["judge_a"]], "party_lecture"),
        activity(cast.police_a, "a", date_to, [o["police_a"], o["aux"]]),
        activity(cast.county_a, "a", inside, [o["a2"], o["police_a"]], "warning_conference"),
        activity(cast.court_a, "a", before, [o["a3"]]),  # before the range
        activity(cast.court_a, "a", after, [o["a3"]]),  # after the range
        activity(cast.court_b, "b", inside, [o["judge_b"], o["b2"]]),  # county B
        activity(cast.court_a, "a", inside, [o["a3"]], campaign_=decoy),  # other campaign
    ]
    # A head-count activity (sign-in sheet mode) written directly: person-times without participant rows.
    acts.append(ActivityRecord.objects.create(unit=cast.police_a, campaign=campaign, activity_type=types["open_day"],
                                              title="开放日", date=inside, participant_mode=ParticipantMode.HEADCOUNT,
                                              headcount=30, person_times=30))
    # Study: in range, before, after, county B.
    for officer, day, channel in [(o["judge_a"], inside, "self"), (o["judge_a"], date_to, "led"),
                                  (o["a2"], inside, "video"), (o["a3"], before, "self"), (o["a3"], after, "self"),
                                  (o["police_a"], date_from, "group"), (o["judge_b"], inside, "self")]:
        StudyRecord.objects.create(unit_id=officer.unit_id, officer=officer, date=day, channel=channel,
                                   category="political")
    # Exams: submitted today (in range) and one moved before the range.
    exam = make_exam(cast)
    submitted_attempt(exam, o["judge_a"], passed_answers=True)
    submitted_attempt(exam, o["a2"], passed_answers=False)
    submitted_attempt(exam, o["judge_b"], passed_answers=True)
    old = submitted_attempt(exam, o["a3"], passed_answers=True)
    ExamAttempt.objects.filter(pk=old.pk).update(submitted_on=before)
    # Talks (confidential): rounds and kinds, in and out of range and subtree, other campaign.
    for talker, officer, rnd, day, kind, c in [
        (o["a2"], o["judge_a"], 1, inside, "heart", campaign), (o["judge_a"], o["a2"], 1, date_from, "heart", campaign),
        (o["a2"], o["judge_a"], 2, inside, "reminder", campaign), (o["a2"], o["a3"], 1, before, "heart", campaign),
        (o["b2"], o["judge_b"], 1, inside, "heart", campaign), (o["a2"], o["judge_a"], 1, inside, "heart", decoy)]:
        act.talk_create(actor=admin["a" if officer.unit.path.startswith(cast.county_a.path) else "b"],
                        campaign=c, talker=talker, officer=officer, round=rnd, date=day, kind=kind, note="保密内容")
    for officer, day, c in [(o["judge_a"], inside, campaign), (o["a2"], before, campaign),
                            (o["judge_b"], inside, campaign), (o["a3"], inside, decoy)]:
        act.pledge_create(actor=admin["a" if officer.unit.path.startswith(cast.county_a.path) else "b"],
                          campaign=c, officer=officer, signed_date=day,
                          scan=SimpleUploadedFile("承诺书.pdf", b"%PDF-1.4\n%%EOF\n"))
    # Required actions: the county issues one in range (due yesterday: overdue where not done);
    # completions declared, accepted and returned on the city's actions.
    county_action = camp.required_action_create(actor=cast.admin_a, campaign=campaign, issuing_unit=cast.county_a,
                                                title="县级规定动作", deadline=today - dt.timedelta(days=1))
    camp.completion_declare(actor=cast.admin_a, action=county_action, unit=cast.court_a, note="已完成")
    city_actions = list(Action.objects.filter(campaign=campaign, kind=ActionKind.REQUIRED, unit=cast.city,
                                              deadline__gte=date_from, deadline__lte=date_to))
    assert city_actions, "the template must have city actions due in the test range"
    first = city_actions[0]

    def pdf():
        return [(SimpleUploadedFile("佐证.pdf", b"%PDF-1.4\n%%EOF\n"), "other")]

    c1 = camp.completion_declare(actor=cast.admin_a, action=first, unit=cast.court_a, note="完成", files=pdf())
    camp.completion_declare(actor=cast.admin_a, action=first, unit=cast.police_a, note="完成", files=pdf())
    c3 = camp.completion_declare(actor=cast.admin_b, action=first, unit=cast.court_b, note="完成", files=pdf())
    camp.completion_accept(actor=cast.city_admin, completion=c1)
    camp.completion_return(actor=cast.city_admin, completion=c3, reason="材料不全")
    return World(cast, campaign, decoy, today, date_from, date_to, o, acts)


@pytest.fixture
def world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return build_world(cast)


__all__ = ["World", "build_world", "ActivityParticipant"]
