"""What the dashboard, the exports and the API show, built from the registry in one place."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from django.http import Http404
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from zhengdun.activities.models import EducationCategory, TalkKind
from zhengdun.learning.models import Channel
from zhengdun.org.access import Scope
from zhengdun.stats import registry, selectors
from zhengdun.stats.registry import Figure, Value
from zhengdun.stats.selectors import Ctx


def _date(value, default):
    if not value:
        return default
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return default


def parse_ctx(scope: Scope, params, *, default_campaign: bool = True, today: dt.date | None = None) -> Ctx:
    """Context from request parameters unit, from, to, campaign (id, or 'all'), type, cat. The range
    defaults to the campaign's start up to today (or its end, if earlier). A unit or campaign outside
    the user's scope is a 404, like a missing one."""
    today = today or timezone.localdate()
    unit_id = params.get("unit")
    unit = selectors.stats_unit_get(scope=scope, unit_id=unit_id) if unit_id else selectors.default_unit(scope=scope)
    if unit is None:
        raise Http404("unit")
    campaign_param = params.get("campaign")
    campaign = None
    if campaign_param and campaign_param != "all":
        try:
            campaign = selectors.stats_campaigns(scope=scope).filter(pk=int(campaign_param)).first()
        except ValueError:
            campaign = None
        if campaign is None:
            raise Http404("campaign")
    running = selectors.running_campaign(scope=scope, today=today)
    if campaign_param is None and default_campaign:
        campaign = running
    window = campaign or running
    default_from = window.start_date if window else today - dt.timedelta(days=90)
    # Figures are "as of" today: a running campaign's range ends today, not on its (future) end date;
    # a finished campaign ends on its end date, one not yet started shows its first day.
    default_to = max(window.start_date, min(window.end_date, today)) if window else today
    date_from = _date(params.get("from"), default_from)
    date_to = _date(params.get("to"), default_to)
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    return Ctx(scope, unit, date_from, date_to, campaign, str(params.get("type") or "")[:30],
               str(params.get("cat") or "")[:30], today)


@dataclass
class Card:
    figure: Figure
    value: Value
    url: str

    @property
    def text(self) -> str:
        return registry.format_value(self.figure, self.value)


def figure_rows(ctx: Ctx, values: dict[str, Value], figures: list[Figure]) -> list[Card]:
    return [Card(f, values[f.key], f.drilldown_url(ctx)) for f in figures if f.key in values]


def build(ctx: Ctx) -> dict:
    own, rows, snap = registry.evaluate(ctx)
    figures = [f for f in registry.FIGURES if f.key in own]
    cards = figure_rows(ctx, own, figures)
    children = [(unit, figure_rows(ctx.with_unit(unit), values, figures)) for unit, values in rows]
    types = selectors.activity_types()
    by_type = sorted(snap.breakdown(ctx.unit.id, "act", "a").items(), key=lambda kv: -kv[1][0])
    sessions = registry.BY_KEY["sessions"]
    type_rows = [{"label": str(types[k].name) if k in types else k, "sessions": n, "person_times": t,
                  "url": sessions.drilldown_url(ctx.with_filter(type=types[k].code if k in types else k))}
                 for k, (n, t) in by_type]
    cat_labels = dict(EducationCategory.choices)
    category_rows = [{"label": str(cat_labels.get(k, k)) if k else _("未分类"), "sessions": n, "person_times": t,
                      "url": sessions.drilldown_url(ctx.with_filter(cat=k)) if k else ""}
                     for k, (n, t) in sorted(snap.breakdown(ctx.unit.id, "act", "b").items())]
    channels = dict(Channel.choices)
    study = registry.BY_KEY["study_times"]
    channel_rows = [{"label": str(channels.get(k, k)), "n": n,
                     "url": study.drilldown_url(ctx.with_filter(type=k))}
                    for k, (n, _t) in sorted(snap.breakdown(ctx.unit.id, "study", "a").items())]
    talk_rows = []
    if "talks" in own:
        talks = registry.BY_KEY["talks"]
        kinds = dict(TalkKind.choices)
        talk_rows = ([{"label": _("第%(n)s轮") % {"n": k}, "n": n, "url": talks.drilldown_url(ctx.with_filter(type=k))}
                      for k, (n, _t) in sorted(snap.breakdown(ctx.unit.id, "talk", "a").items())]
                     + [{"label": str(kinds.get(k, k)), "n": n, "url": talks.drilldown_url(ctx.with_filter(cat=k))}
                        for k, (n, _t) in sorted(snap.breakdown(ctx.unit.id, "talk", "b").items())])
    charts = {
        "types": {"labels": [r["label"] for r in type_rows], "sessions": [r["sessions"] for r in type_rows],
                  "person_times": [r["person_times"] for r in type_rows], "urls": [r["url"] for r in type_rows]},
        "children": {
            "labels": [u.name for u, _cards in children],
            "completion": [_pct(values["completion"]) for _u, values in rows],
            "coverage": [_pct(values["coverage"]) for _u, values in rows],
            "urls": [registry.BY_KEY["completion"].drilldown_url(ctx.with_unit(u)) for u, _cards in children],
        },
        "study": {"dates": [d.isoformat() for d, _n in snap.study_series], "n": [n for _d, n in snap.study_series]},
        # The charts' words, in the user's language (stats.js has no strings of its own).
        "text": {"sessions": _("场次"), "person_times": _("人次"), "completion": _("规定动作完成率%"),
                 "coverage": _("活动覆盖率%"), "study": _("学习人次")},
    }
    return {"ctx": ctx, "own": own, "cards": cards, "children": children, "child_values": rows,
            "child_table": child_table(ctx, children),
            "type_rows": type_rows, "category_rows": category_rows, "channel_rows": channel_rows,
            "talk_rows": talk_rows, "charts": charts, "snapshot": snap,
            "figures": figures}


def child_table(ctx: Ctx, children: list[tuple]) -> SafeString:
    """The child-unit table's body rows, pre-rendered: ~13 linked numbers per child, a thousand links
    on a county page. Joining escaped strings here costs a fraction of template variable look-ups
    (or format_html) per cell, which were the dashboard's largest rendering cost."""
    campaign = ctx.campaign.id if ctx.campaign else "all"
    query = escape(f"&from={ctx.date_from.isoformat()}&to={ctx.date_to.isoformat()}&campaign={campaign}")
    rows = []
    for unit, cards in children:
        cells = "".join(f'<td class="text-end"><a href="{escape(card.url)}">{escape(card.text)}</a></td>'
                        for card in cards)
        rows.append(f'<tr><td><a href="?unit={unit.id}{query}">{escape(unit.name)}</a></td>{cells}</tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 — every value above is escaped


def _pct(v: Value):
    return None if v.value is None else round(v.value * 100, 1)
