"""Reads of the audit log, for the audit administrator only (三员分立)."""

from datetime import datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhengdun.audit.models import AuditEntry


def entry_list(*, actor: str = "", action: str = "", object_type: str = "", op: str = "",
               date_from=None, date_to=None) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.select_related("seal").order_by("-id")
    if actor:
        entries = entries.filter(actor_name__icontains=actor)
    if action:
        entries = entries.filter(action__icontains=action)
    if object_type:
        entries = entries.filter(object_type__icontains=object_type)
    if op:
        entries = entries.filter(op=op)
    # `at` is stored as UTC ISO text (exactly as hashed), so date bounds compare as text.
    if date_from:
        start = timezone.make_aware(datetime.combine(date_from, time.min))
        entries = entries.filter(at__gte=_iso(start))
    if date_to:
        end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
        entries = entries.filter(Q(at__lt=_iso(end)))
    return entries


def _iso(moment: datetime) -> str:
    from datetime import UTC

    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_get(*, entry_id: int) -> AuditEntry | None:
    return AuditEntry.objects.select_related("seal").filter(pk=entry_id).first()
