"""Unit tree, people and accounts.

Units form a tree stored with a materialised path (`/<code>/<code>/…/`), so
"this unit and all below" is one indexed prefix query on SQLite and PostgreSQL.
Every model owned by a unit inherits UnitScoped and is read through `.within(scope)`.
"""

import re

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengdun.org import identity, idnumbers

UNIT_CODE_RE = re.compile(r"^[A-Za-z0-9]{1,20}$")


class Level(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")
    UNIT = "unit", _("基层单位")


LEVEL_DEPTH = {Level.PROVINCE: 0, Level.CITY: 1, Level.COUNTY: 2, Level.UNIT: 3}


class UnitKind(models.TextChoices):
    COMMITTEE = "committee", _("党委政法委")
    COURT = "court", _("法院")
    PROCURATORATE = "procuratorate", _("检察院")
    POLICE = "police", _("公安")
    STATE_SECURITY = "state_security", _("国家安全")
    JUSTICE = "justice", _("司法行政")
    LAW_SOCIETY = "law_society", _("法学会")
    CAMPAIGN_OFFICE = "campaign_office", _("教整办")
    OTHER = "other", _("其他")


class ScopedQuerySet(models.QuerySet):
    """The one scoping layer: every read of a unit-owned model starts with `.within(scope)`."""

    def within(self, scope):
        if scope.everything:
            return self.all()
        return self.filter(scope.unit_q("unit") | scope.self_q(self.model))

    def for_units(self, scope, units):
        """Rows of `units` (unit objects, typically from a scoped query): each is checked against the
        scope here, in Python, so the query is one indexed `unit_id IN (...)` without the join on
        the unit tree that `within` needs. Units out of scope contribute nothing."""
        return self.filter(unit_id__in=[u.id for u in units if scope.covers_unit(u)])


class UnitQuerySet(models.QuerySet):
    def within(self, scope):
        if scope.everything or scope.all_units:
            return self.all()
        return self.filter(scope.unit_q(None))

    def subtree(self, unit):
        return self.filter(path__startswith=unit.path)


class Unit(models.Model):
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("上级单位"))
    code = models.CharField(_("单位代码"), max_length=20, unique=True)
    path = models.CharField(_("路径"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("层级深度"), editable=False)
    name = models.CharField(_("单位名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("类别"), max_length=20, choices=UnitKind.choices)
    division_code = models.CharField(_("行政区划代码"), max_length=6,
                                     help_text=_("单位管辖区域的行政区划代码：省 2 位、市 4 位、县 6 位"))
    sort_order = models.IntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self):
        return self.name

    @property
    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.strip("/").split("/")[:-1] if c]

    def ancestors(self):
        return Unit.objects.filter(code__in=self.ancestor_codes).order_by("depth")

    def clean(self):
        if not UNIT_CODE_RE.match(self.code or ""):
            raise ValidationError({"code": _("单位代码只能由 1–20 位字母或数字组成")})
        if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", self.division_code or ""):
            raise ValidationError({"division_code": _("行政区划代码应为 2、4 或 6 位数字")})


class UnitScoped(models.Model):
    """Abstract base of every unit-owned record: a required unit and the scoped queryset."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class Role(models.TextChoices):
    OFFICE_ADMIN = "office_admin", _("教整办管理员")
    UNIT_CLERK = "unit_clerk", _("单位联络员")
    OFFICER = "officer", _("干警")
    SUPERVISOR = "supervisor", _("督导组成员")
    CLUE_HANDLER = "clue_handler", _("线索核查人员")
    SYSADMIN = "sysadmin", _("系统管理员")
    SECADMIN = "secadmin", _("安全保密管理员")
    AUDITOR = "auditor", _("安全审计员")


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    failed_logins = models.PositiveIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")

    def __str__(self):
        return self.display_name or self.username


class RoleAssignment(models.Model):
    """A role held by a user, anchored at a unit (the root of what the role reaches)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("所属单位"))

    class Meta:
        unique_together = [("user", "role", "unit")]
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.unit or '-'}"


class ApiToken(models.Model):
    """A personal API token for scripts; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=60)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class OfficerCategory(models.TextChoices):
    OFFICER = "officer", _("政法干警")
    AUXILIARY = "auxiliary", _("辅警")
    OTHER = "other", _("其他")


class Party(models.TextChoices):
    CPC = "cpc", _("中共党员")
    PROBATIONARY = "probationary", _("中共预备党员")
    LEAGUE = "league", _("共青团员")
    DEMOCRATIC = "democratic", _("民主党派")
    MASSES = "masses", _("群众")


class OfficerStatus(models.TextChoices):
    SERVING = "serving", _("在职")
    SECONDED = "seconded", _("借调")
    RETIRED = "retired", _("退休")
    DEPARTED = "departed", _("离职")


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    CHILD_SPOUSE = "child_spouse", _("子女配偶")
    PARENT = "parent", _("父母")
    SIBLING = "sibling", _("兄弟姐妹")


class PersonIdentity(models.Model):
    """Encrypted ID number with a keyed look-up hash; shown masked unless the role allows."""

    id_number_enc = models.TextField(_("身份证号（加密）"), blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)  # indexed by each model
    id_number_masked = models.CharField(_("身份证号"), max_length=18, blank=True, editable=False)

    class Meta:
        abstract = True

    def set_id_number(self, raw: str) -> None:
        if not raw:
            self.id_number_enc = self.id_number_hash = self.id_number_masked = ""
            return
        number = idnumbers.normalize(raw)
        self.id_number_enc = identity.encrypt(number)
        self.id_number_hash = identity.lookup_hash(number)
        self.id_number_masked = idnumbers.mask(number)

    def reveal_id_number(self) -> str:
        """Plain number; callers go through org.services.person_reveal_id, which audits the read."""
        return identity.decrypt(self.id_number_enc)


class Officer(UnitScoped, PersonIdentity):
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    position = models.CharField(_("职务"), max_length=60, blank=True)
    category = models.CharField(_("人员类别"), max_length=12, choices=OfficerCategory.choices,
                                default=OfficerCategory.OFFICER)
    party = models.CharField(_("政治面貌"), max_length=12, choices=Party.choices, default=Party.CPC)
    status = models.CharField(_("状态"), max_length=10, choices=OfficerStatus.choices,
                              default=OfficerStatus.SERVING)
    left_date = models.DateField(_("离岗日期"), null=True, blank=True,
                                 help_text=_("离职、退休人员离开政法队伍的日期"))
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="officer",
                                verbose_name=_("登录账号"))

    class Meta:
        ordering = ["unit__path", "name", "id"]
        verbose_name = _("干警")
        verbose_name_plural = _("干警")
        constraints = [models.UniqueConstraint(fields=["id_number_hash"], name="officer_unique_id_number")]

    def __str__(self):
        return self.name


class Relative(UnitScoped, PersonIdentity):
    """A relative declared by an officer; `unit` follows the officer's unit."""

    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="relatives",
                                verbose_name=_("申报干警"))
    relation = models.CharField(_("关系"), max_length=12, choices=Relation.choices)
    name = models.CharField(_("姓名"), max_length=50)
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    occupation = models.CharField(_("职业"), max_length=60, blank=True)

    class Meta:
        ordering = ["officer_id", "relation", "name"]
        verbose_name = _("亲属")
        verbose_name_plural = _("亲属")
        constraints = [
            models.UniqueConstraint(fields=["officer", "relation", "name"], name="relative_unique_per_officer"),
        ]
        indexes = [models.Index(fields=["id_number_hash"], name="relative_id_number_hash")]

    def __str__(self):
        return f"{self.name}（{self.get_relation_display()}）"
