"""This app's sections of the officer file (一人一档): activities taken part in, talks, pledges.

Found by `zhengdun.learning.officer_file.autodiscover`. Each section reads through this app's
selectors, so the file shows exactly what the viewer could reach page by page: the activity record
is linked only where the viewer may open it, talk rows follow the talk rules (confidential talks
only for office administrators of the subtree and the two people), the pledge scan is linked only
where the viewer may download it. Each section costs a fixed number of queries, whatever the rows.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from zhengdun.activities import selectors
from zhengdun.learning.officer_file import Section, entitled_to_confidential, register
from zhengdun.org.access import STAFF_ROLES

ROWS = 30


@register("activities.participation", order=40)
def participation_section(scope, officer):
    items = selectors.officer_participations(scope=scope, officer=officer)
    total = items.count()
    rows_of = list(items[:ROWS])
    readable = selectors.activities_readable(scope=scope, activity_ids=[p.activity_id for p in rows_of]) \
        if scope.has_role(*STAFF_ROLES) else set()
    rows = []
    for p in rows_of:
        a = p.activity
        title = (a.title, reverse("activities:activity_detail", args=[a.id])) if a.id in readable else a.title
        rows.append([a.date.isoformat(), a.activity_type.name, a.get_education_category_display() or "—", title,
                     a.unit.name])
    return Section(title=_("参加活动"), columns=[_("日期"), _("活动类型"), _("教育类别"), _("活动名称"), _("组织单位")],
                   rows=rows, total=total, empty_text=_("尚无参加活动记录"))


@register("activities.talks", order=50)
def talk_section(scope, officer):
    """Talks on either side. Notes are never shown here: the row links to the talk page, whose
    reading is audited. A viewer who may read none of them is told the section is confidential
    rather than shown an empty list that would read as "no talks"."""
    talks = selectors.officer_talks(scope=scope, officer=officer)
    items = list(talks[:ROWS])
    if not items and not entitled_to_confidential(scope, officer):
        return Section(title=_("谈心谈话"), confidential=True)
    rows = []
    for t in items:
        as_talker = t.talker_id == officer.id
        other = t.officer if as_talker else t.talker
        rows.append([(t.date.isoformat(), reverse("activities:talk_detail", args=[t.id])),
                     _("第 %(n)d 轮") % {"n": t.round}, t.get_kind_display(),
                     _("谈话人") if as_talker else _("谈话对象"), f"{other.name}（{other.unit.name}）"])
    return Section(title=_("谈心谈话"), columns=[_("日期"), _("轮次"), _("谈话类型"), _("本人身份"), _("对方")],
                   rows=rows, total=talks.count() if len(items) == ROWS else len(items),
                   confidential=any(t.is_confidential for t in items), empty_text=_("尚无谈话记录"))


@register("activities.pledges", order=60)
def pledge_section(scope, officer):
    items = selectors.officer_pledges(scope=scope, officer=officer)
    pledges = list(items[:ROWS])
    scans = selectors.pledge_scans_readable(scope=scope, pledge_ids=[p.id for p in pledges])
    rows = []
    for p in pledges:
        scan = scans.get(p.id)
        link = (scan.original_name, reverse("activities:evidence_download", args=[scan.id])) if scan else "—"
        rows.append([p.signed_date.isoformat(), p.campaign.name, link, p.note or "—"])
    return Section(title=_("承诺书"), columns=[_("签订日期"), _("整顿计划"), _("扫描件"), _("备注")], rows=rows,
                   total=items.count() if len(pledges) == ROWS else len(pledges), empty_text=_("尚未登记承诺书"))
