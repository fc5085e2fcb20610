"""The audit chain.

Entries are written by database triggers on every audited table (so bulk operations
and raw SQL are caught) and by the application for confidential reads. Entries are
never changed: the chain is kept in a separate append-only table of seals, each
holding the hash of the previous seal, written in the same transaction as the change.
Values are stored as text exactly as hashed, so the hash does not depend on a database's
JSON formatting.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    at = models.CharField(_("时间"), max_length=40)
    actor_id = models.BigIntegerField(_("操作人 ID"), null=True, blank=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True, default="")
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    op = models.CharField(_("类型"), max_length=10, default="")  # insert/update/delete/read/login/…
    object_type = models.CharField(_("对象类型"), max_length=80, db_index=True)
    object_id = models.CharField(_("对象 ID"), max_length=64, blank=True, default="")
    unit_id = models.BigIntegerField(_("单位 ID"), null=True, blank=True)
    before = models.TextField(_("修改前"), blank=True, default="")
    after = models.TextField(_("修改后"), blank=True, default="")
    source = models.CharField(_("来源"), max_length=10, default="db")  # db (trigger) or app
    ip = models.CharField(max_length=45, blank=True, default="")

    class Meta:
        ordering = ["id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")


class AuditSeal(models.Model):
    """One link of the hash chain: seq is the entry's position in the chain."""

    seq = models.BigIntegerField(unique=True)
    entry = models.OneToOneField(AuditEntry, on_delete=models.DO_NOTHING, db_constraint=False, related_name="seal")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]


class AuditContext(models.Model):
    """Who is writing in the current transaction (SQLite; PostgreSQL uses a transaction-local setting).

    The row is written at the start of an audited transaction and deleted before it commits,
    so no other connection ever sees it (SQLite allows one writer at a time).
    """

    actor_id = models.BigIntegerField(null=True)
    actor_name = models.CharField(max_length=150, default="")
    action = models.CharField(max_length=80, default="")
    ip = models.CharField(max_length=45, default="")
