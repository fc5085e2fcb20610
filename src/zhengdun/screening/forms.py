from django import forms
from django.utils.translation import gettext_lazy as _

from zhengdun.screening.models import ENGINE_LABELS, RULES, ReviewStatus, RosterSource
from zhengdun.widgets import DateInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class DatasetUploadForm(forms.Form):
    name = forms.CharField(label=_("数据集名称"), max_length=100)
    unit = forms.TypedChoiceField(label=_("所属单位"), coerce=int)
    files = MultipleFileField(label=_("数据文件（roster / relatives / enterprises / lawyers / cases，.csv 或 .parquet）"),
                              required=False)
    server_path = forms.CharField(label=_("或：服务器目录（大批量数据）"), required=False, max_length=500)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.id, u.name) for u in units]

    def clean(self):
        data = super().clean()
        if not data.get("files") and not data.get("server_path"):
            raise forms.ValidationError(_("请上传数据文件，或填写服务器目录"))
        if data.get("files") and data.get("server_path"):
            raise forms.ValidationError(_("上传文件与服务器目录只能二选一"))
        return data


class RunStartForm(forms.Form):
    roster_source = forms.ChoiceField(label=_("排查对象"), choices=RosterSource.choices)
    unit = forms.TypedChoiceField(label=_("排查单位"), coerce=int, required=False, empty_value=None,
                                  help_text=_("使用本平台名册时可只排查某一下级单位"))
    as_of = forms.DateField(label=_("排查基准日"), required=False, widget=DateInput(),
                            help_text=_("默认今天；用于判断离职是否满两年"))
    engine = forms.ChoiceField(label=_("计算引擎"), choices=list(ENGINE_LABELS.items()))
    rules = forms.MultipleChoiceField(label=_("规则"), choices=RULES, widget=forms.CheckboxSelectMultiple,
                                      initial=[r for r, _l in RULES])

    def __init__(self, *args, dataset=None, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.id, u.name) for u in units]
        if dataset is not None:
            self.fields["unit"].initial = dataset.unit_id
        # Without its own roster and relatives files a data set can only be screened against the
        # platform's roster: that is the default, and the other choice is shown disabled with the reason.
        self.own_roster = dataset is None or dataset.has_own_roster
        self.unavailable_sources = {}
        if not self.own_roster:
            self.fields["roster_source"].initial = RosterSource.PLATFORM
            self.unavailable_sources[RosterSource.DATASET] = _("本数据集不含 roster（干警名册）和 relatives（申报亲属）文件")

    def clean_roster_source(self):
        source = self.cleaned_data["roster_source"]
        if source in self.unavailable_sources:
            raise forms.ValidationError(_("%(reason)s，请选择使用本平台名册") % {"reason": self.unavailable_sources[source]})
        return source


class HitFilterForm(forms.Form):
    rule = forms.ChoiceField(label=_("规则"), required=False, choices=[("", _("全部"))] + list(RULES))
    review_status = forms.ChoiceField(label=_("研判结论"), required=False,
                                      choices=[("", _("全部"))] + list(ReviewStatus.choices))
    min_score = forms.FloatField(label=_("最低置信度"), required=False, min_value=0, max_value=1)
    new_only = forms.BooleanField(label=_("只看本次新增"), required=False)
    unit = forms.TypedChoiceField(label=_("单位"), required=False, coerce=int, empty_value=None,
                                  choices=[("", _("全部"))])
    q = forms.CharField(label=_("姓名"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("全部"))] + [(u.id, u.name) for u in units]


class HitReviewForm(forms.Form):
    status = forms.ChoiceField(label=_("研判结论"), choices=[(ReviewStatus.CONFIRMED, _("确认为线索")),
                                                          (ReviewStatus.FALSE_POSITIVE, _("排除（误报）"))])
    reason = forms.CharField(label=_("研判理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
