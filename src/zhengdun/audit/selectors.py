"""Reads of the audit log, for the audit administrator only (三员分立)."""

from datetime import UTC, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhengdun.audit.labels import actions_matching
from zhengdun.audit.models import AuditEntry


def entry_list(*, actor: str = "", action: str = "", object_type: str = "", object_id: str = "", op: str = "",
               date_from=None, date_to=None) -> QuerySet[AuditEntry]:
    """Newest first. `action` matches a code (`auth.login`) or a Chinese label (`登录`)."""
    entries = AuditEntry.objects.select_related("seal").order_by("-id")
    if actor:
        entries = entries.filter(actor_name__icontains=actor)
    if action:
        entries = entries.filter(Q(action__icontains=action) | Q(action__in=actions_matching(action)))
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if op:
        entries = entries.filter(op=op)
    # `at` is stored as UTC ISO text (exactly as hashed), so date bounds — days in the configured
    # time zone — compare as text.
    if date_from:
        start = timezone.make_aware(datetime.combine(date_from, time.min))
        entries = entries.filter(at__gte=_iso(start))
    if date_to:
        end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
        entries = entries.filter(at__lt=_iso(end))
    return entries


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_get(*, entry_id: int) -> AuditEntry | None:
    return AuditEntry.objects.select_related("seal").filter(pk=entry_id).first()
