"""Deadline traffic lights. Pure functions of dates and state, so tests pass `today` explicitly.

- green  绿灯: declared (awaiting or after acceptance) or accepted; a late declaration is green with `late`
- yellow 黄灯: not done, deadline within the next YELLOW_DAYS days (today included), or returned and not overdue
- red    红灯: not done (pending or returned) and the deadline has passed
- grey   未到期: not done, deadline further away
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

YELLOW_DAYS = 3

GREEN, YELLOW, RED, GREY = "green", "yellow", "red", "grey"
LIGHT_LABELS = {GREEN: _("绿灯"), YELLOW: _("黄灯"), RED: _("红灯"), GREY: _("未到期")}
LIGHT_CSS = {GREEN: "success", YELLOW: "warning", RED: "danger", GREY: "secondary"}

STATUS_LABELS = {
    None: _("未完成"), "declared": _("已申报完成"), "redeclared": _("已重新申报"), "accepted": _("已确认"),
    "returned": _("已退回"),
}


@dataclass(frozen=True)
class Light:
    color: str
    status: str | None
    late: bool = False

    @property
    def label(self) -> str:
        return LIGHT_LABELS[self.color]

    @property
    def css(self) -> str:
        return LIGHT_CSS[self.color]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status or "")

    @property
    def needs_attention(self) -> bool:
        return self.color in (YELLOW, RED)


def light_for(*, deadline: dt.date, status: str | None, declared_on: dt.date | None, today: dt.date) -> Light:
    if status in ("declared", "redeclared", "accepted"):
        return Light(GREEN, status, late=bool(declared_on and declared_on > deadline))
    if today > deadline:
        return Light(RED, status)
    if today >= deadline - dt.timedelta(days=YELLOW_DAYS) or status == "returned":
        return Light(YELLOW, status)
    return Light(GREY, status)
