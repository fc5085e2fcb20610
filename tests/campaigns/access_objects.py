"""In-scope / out-of-scope object pairs for the generated access matrix (tests/test_access_matrix.py):
county-A objects (inside for the county-A users) and county-B objects (outside)."""

import datetime as dt
import tempfile

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengdun.activities.models import ActivityType
from zhengdun.activities.services import activity_create, talk_create
from zhengdun.campaigns.models import Notification
from zhengdun.campaigns.services import (
    campaign_create_from_template,
    completion_declare,
    required_action_create,
    template_copy,
    template_seed_builtin,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
_MEDIA = None


def _objects(cast):
    """One campaign, template, action (declared by the unit), notification, activity with a file and two
    talks (confidential and not) per county, built once per test."""
    if "_campaign_objects" in cast.__dict__:
        return cast.__dict__["_campaign_objects"]
    global _MEDIA
    if _MEDIA is None:  # keep evidence files of the access matrix out of the project's var/ folder
        _MEDIA = tempfile.mkdtemp(prefix="zd-access-media-")
    settings.MEDIA_ROOT = _MEDIA
    made = {}
    today = dt.date.today()
    kind = ActivityType.objects.get(code="party_lecture")
    for side, county, admin, unit, officer, talker in (
            ("a", cast.county_a, cast.admin_a, cast.court_a, "judge_a", "police_a"),
            ("b", cast.county_b, cast.admin_b, cast.court_b, "judge_b", None)):
        campaign = campaign_create_from_template(
            actor=admin, template=template_seed_builtin(), name=f"{side}整顿", year=2021, owner_unit=county,
            offset_days=(today - dt.date(2021, 5, 10)).days, with_actions=False)
        action = required_action_create(actor=admin, campaign=campaign, issuing_unit=county, title=f"{side}动作",
                                        deadline=today + dt.timedelta(days=1))
        completion_declare(actor=admin, action=action, unit=unit, note="已完成")
        note = Notification.objects.create(unit=unit, action=action, kind="due_soon", day=today, message="提醒")
        activity = activity_create(actor=admin, unit=unit, campaign=campaign, activity_type=kind, title="党课",
                                   date=today, participants=[cast.officers[officer]],
                                   files=[(SimpleUploadedFile("照片.png", PNG), "photo")])
        speaker = cast.officers[talker] if talker else cast.officers[officer]
        listener = cast.officers[officer]
        if speaker == listener:  # county B has one officer: a second one is not needed for the pair
            from zhengdun.org.models import Officer

            speaker = Officer.objects.exclude(pk=listener.pk).first()
        secret = talk_create(actor=None, campaign=campaign, talker=speaker, officer=listener, round=1, date=today,
                             kind="heart", note="保密")
        open_talk = talk_create(actor=None, campaign=campaign, talker=speaker, officer=listener, round=2,
                                date=today, kind="heart", note="公开", is_confidential=False)
        made[side] = {
            "campaign_id": campaign.id, "action_id": action.id, "notification_id": note.id,
            "template_id": template_copy(actor=admin, template=template_seed_builtin(), unit=county).id,
            "activity_id": activity.id, "evidence_id": activity.evidence.get().id,
            "talk_id": secret.id, "open_talk_id": open_talk.id,
        }
    cast.__dict__["_campaign_objects"] = made
    return made


def _pair(name):
    def pair(cast, user):
        made = _objects(cast)
        if name == "talk_id" and user.username != "admin_a":
            # Talks are confidential to office administrators and the two people: other county-A
            # users reach only a talk marked not confidential (confidentiality: tests/activities).
            return made["a"]["open_talk_id"], made["b"]["open_talk_id"]
        return made["a"][name], made["b"][name]

    return pair


CAMPAIGN_OBJECTS = {name: _pair(name) for name in (
    "campaign_id", "action_id", "notification_id", "template_id", "activity_id", "evidence_id", "talk_id")}
