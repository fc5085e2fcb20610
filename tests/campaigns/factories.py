"""Test helpers: a running 2021-template campaign for the cast's city."""

import datetime as dt

from zhengdun.campaigns.services import campaign_create_from_template, template_seed_builtin


def running_campaign(cast, *, today=None, with_actions=False):
    """The 2021 template shifted so that `today` is 10 May of the template (inside 查纠整改)."""
    today = today or dt.date.today()
    offset = (today - dt.date(2021, 5, 10)).days
    return campaign_create_from_template(actor=cast.city_admin, template=template_seed_builtin(),
                                         name="测试整顿", year=2021, owner_unit=cast.city, offset_days=offset,
                                         with_actions=with_actions)
