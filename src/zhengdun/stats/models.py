"""Rollup tables behind the statistics (derived data; `zhengdun rebuild-rollups` recomputes them).

Every row is *ancestor-expanded*: a record of unit U adds to the row of U and of every unit above
U (via UnitAncestor; for the distinct counts U is the officer's current unit, see OfficerFirst), so "figures of the subtree of S" is an exact look-up on `unit = S`, never a
GROUP BY over the subtree. Rows are kept up to date by database triggers (stats/triggers.py) in
the transaction that writes the record, so every write path (services, bulk loads, demo seeding)
is covered.

The tables are `managed = False`: they are created by this app's migration, and the audit triggers
(which cover every *managed* model) leave them alone — they hold counts, not facts, and auditing
every counter bump would multiply the audit log several times over.
"""

from django.db import models

from zhengdun.org.models import UnitScoped


class UnitAncestor(UnitScoped):
    """Closure of the unit tree: (unit, ancestor) for every ancestor including the unit itself.
    Kept by the trigger on org_unit (insert, change of parent); rebuilt from paths by `rebuild-rollups`."""

    ancestor = models.ForeignKey("org.Unit", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)

    class Meta:
        managed = False
        db_table = "stats_unitancestor"
        constraints = [models.UniqueConstraint(fields=["unit", "ancestor"], name="stats_ancestor_unique")]
        indexes = [models.Index(fields=["ancestor"], name="stats_ancestor_anc")]


class CountDaily(UnitScoped):
    """Per (unit subtree root, kind, campaign, day, two dimensions): record count `n` and `total`.

    kind 'act'    activities: dim_a = activity type id, dim_b = education category, total = person-times
    kind 'study'  study records: dim_a = channel, dim_b = category (campaign 0)
    kind 'talk'   talks: dim_a = round, dim_b = talk kind
    kind 'pledge' pledge letters (dims empty)
    """

    kind = models.CharField(max_length=8)
    campaign_id = models.BigIntegerField(default=0)
    date = models.DateField()
    dim_a = models.CharField(max_length=30, default="")
    dim_b = models.CharField(max_length=30, default="")
    n = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)

    class Meta:
        managed = False
        db_table = "stats_countdaily"
        constraints = [models.UniqueConstraint(fields=["unit", "kind", "campaign_id", "date", "dim_a", "dim_b"],
                                               name="stats_countdaily_key")]


class CountTotal(UnitScoped):
    """CountDaily without the date: per (subtree root, kind, campaign, two dimensions) the record count
    `n` and `total` over all dates. Kept by the same triggers and by `rebuild-rollups`. The dashboard
    reads it instead of CountDaily when the requested range holds every dated row of the kind at the
    chosen unit (the default range = the campaign window, with no record outside it): then summing
    the days would give the same numbers, from far fewer rows."""

    kind = models.CharField(max_length=8)
    campaign_id = models.BigIntegerField(default=0)
    dim_a = models.CharField(max_length=30, default="")
    dim_b = models.CharField(max_length=30, default="")
    n = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)

    class Meta:
        managed = False
        db_table = "stats_counttotal"
        constraints = [models.UniqueConstraint(fields=["unit", "kind", "campaign_id", "dim_a", "dim_b"],
                                               name="stats_counttotal_key")]


class OfficerFirst(UnitScoped):
    """One row per (officer, kind, campaign key): the date of the officer's first counted record and
    how many records they have, wherever the records were filed. NOT ancestor-expanded: `unit`,
    `category` and `roster` are copies of the officer's *current* unit, category and whether their
    status is on the roster (serving, seconded), kept by the trigger on org_officer; the trigger on
    this table keeps DistinctDaily. campaign_id 0 = any campaign.

    kinds: 'part' (activity participation), 'study', 'exam' (submitted attempt), 'pass' (passed
    attempt), 'pledge'."""

    officer_id = models.BigIntegerField()
    kind = models.CharField(max_length=8)
    campaign_id = models.BigIntegerField(default=0)
    category = models.CharField(max_length=12)
    roster = models.BooleanField(default=True)
    first_date = models.DateField()
    n = models.BigIntegerField(default=0)

    class Meta:
        managed = False
        db_table = "stats_officerfirst"
        constraints = [models.UniqueConstraint(fields=["officer_id", "kind", "campaign_id"],
                                               name="stats_officerfirst_key")]


class DistinctDaily(UnitScoped):
    """Per (subtree root of the officer's CURRENT unit, kind, campaign key, officer category, day): how
    many roster officers had their first counted record (OfficerFirst.first_date) that day. Summing a
    range that starts on or before the earliest first date of the subtree gives the exact number of
    roster officers with a record in the range (the numerator of coverage, study rate, …)."""

    kind = models.CharField(max_length=8)
    campaign_id = models.BigIntegerField(default=0)
    category = models.CharField(max_length=12)
    date = models.DateField()
    n = models.BigIntegerField(default=0)

    class Meta:
        managed = False
        db_table = "stats_distinctdaily"
        constraints = [models.UniqueConstraint(fields=["unit", "kind", "campaign_id", "category", "date"],
                                               name="stats_distinctdaily_key")]


class RosterCount(UnitScoped):
    """Officers on the roster (serving or seconded) per subtree root and officer category."""

    category = models.CharField(max_length=12)
    n = models.BigIntegerField(default=0)

    class Meta:
        managed = False
        db_table = "stats_rostercount"
        constraints = [models.UniqueConstraint(fields=["unit", "category"], name="stats_rostercount_key")]


class ActionRoll(UnitScoped):
    """Per (subtree root, required action): target units expected to complete it, and how many of
    those targets have declared/accepted (`done`) or been returned. A target is an active unit below
    the issuer, of the action's kinds/levels, inside the campaign's participating units; a completion
    row of any other unit counts nowhere."""

    action_id = models.BigIntegerField()
    campaign_id = models.BigIntegerField()
    deadline = models.DateField()
    expected = models.BigIntegerField(default=0)
    done = models.BigIntegerField(default=0)
    returned = models.BigIntegerField(default=0)

    class Meta:
        managed = False
        db_table = "stats_actionroll"
        constraints = [models.UniqueConstraint(fields=["unit", "action_id"], name="stats_actionroll_key")]
        indexes = [models.Index(fields=["action_id"], name="stats_actionroll_action")]
