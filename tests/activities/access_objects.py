"""In-scope / out-of-scope pledge letters for the generated access matrix (tests/test_access_matrix.py):
one pledge with its scan for judge_a (court A) and one for judge_b (court B)."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.campaigns.access_objects import _objects
from zhengdun.activities.services import pledge_create
from zhengdun.campaigns.models import Campaign

PDF = b"%PDF-1.4\n%%EOF\n"


def _pledges(cast):
    if "_pledge_objects" not in cast.__dict__:
        made = _objects(cast)  # the campaigns of both counties (and the media folder outside var/)
        today = dt.date.today()
        pledges = {}
        for side, officer in (("a", "judge_a"), ("b", "judge_b")):
            campaign = Campaign.objects.get(pk=made[side]["campaign_id"])
            pledges[side] = pledge_create(actor=None, campaign=campaign, officer=cast.officers[officer],
                                          signed_date=today, scan=SimpleUploadedFile("承诺书.pdf", PDF)).id
        cast.__dict__["_pledge_objects"] = pledges
    return cast.__dict__["_pledge_objects"]


ACTIVITY_OBJECTS = {"pledge_id": lambda cast, user: (_pledges(cast)["a"], _pledges(cast)["b"])}
