"""Forms for learning pages. Choices come from selectors (already scoped)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengdun.learning.models import Category, Channel, Difficulty, QuestionType
from zhengdun.org.models import UnitKind
from zhengdun.widgets import DateInput, DateTimeInput

_BLANK = [("", "—")]


class Styled(forms.Form):
    """Bootstrap classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            w = f.widget
            if isinstance(w, (forms.CheckboxSelectMultiple, forms.RadioSelect, forms.CheckboxInput)):
                w.attrs.setdefault("class", "form-check-input")
            elif isinstance(w, forms.Select):
                w.attrs.setdefault("class", "form-select form-select-sm")
            else:
                w.attrs.setdefault("class", "form-control form-control-sm")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{'　' * obj.depth}{obj.name}"


class MaterialForm(Styled):
    unit = UnitChoiceField(label=_("发布单位"), queryset=None)
    title = forms.CharField(label=_("标题"), max_length=200)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    summary = forms.CharField(label=_("内容摘要"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 8}), required=False)
    published_on = forms.DateField(label=_("发布日期"), initial=timezone.localdate,
                                   widget=DateInput())
    attachment = forms.FileField(label=_("附件（可选）"), required=False,
                                 help_text=_("PDF、Word、PPT、Excel、图片、MP4 或文本文件"))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        first = units.first()
        if first is not None:
            self.fields["unit"].initial = first.pk


class StudyFields(Styled):
    date = forms.DateField(label=_("学习日期"), initial=timezone.localdate, widget=DateInput())
    channel = forms.ChoiceField(label=_("学习方式"), choices=Channel.choices)
    material = forms.ModelChoiceField(label=_("学习资料"), queryset=None, required=False)
    category = forms.ChoiceField(label=_("教育类别"), choices=_BLANK + list(Category.choices), required=False,
                                 help_text=_("选了学习资料时按资料的类别"))
    hours = forms.DecimalField(label=_("学时（可选）"), required=False, min_value=0, max_value=24, decimal_places=1)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, materials, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["material"].queryset = materials


class StudyBatchForm(StudyFields):
    officers = forms.ModelMultipleChoiceField(label=_("参加学习的干警"), queryset=None,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, officers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officers"].queryset = officers
        self.fields["channel"].initial = Channel.LED


class StudyFilterForm(Styled):
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    officer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())
    channel = forms.ChoiceField(label=_("学习方式"), choices=_BLANK + list(Channel.choices), required=False)
    category = forms.ChoiceField(label=_("教育类别"), choices=_BLANK + list(Category.choices), required=False)


class QuestionForm(Styled):
    unit = UnitChoiceField(label=_("所属题库（单位）"), queryset=None)
    qtype = forms.ChoiceField(label=_("题型"), choices=QuestionType.choices)
    stem = forms.CharField(label=_("题干"), widget=forms.Textarea(attrs={"rows": 3}))
    option_a = forms.CharField(label=_("选项A"), required=False)
    option_b = forms.CharField(label=_("选项B"), required=False)
    option_c = forms.CharField(label=_("选项C"), required=False)
    option_d = forms.CharField(label=_("选项D"), required=False)
    option_e = forms.CharField(label=_("选项E"), required=False)
    option_f = forms.CharField(label=_("选项F"), required=False)
    answer = forms.CharField(label=_("答案"), max_length=10, help_text=_("单选如 A；多选如 ACD；判断题填 正确 或 错误"))
    explanation = forms.CharField(label=_("解析"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    difficulty = forms.TypedChoiceField(label=_("难度"), choices=Difficulty.choices, coerce=int,
                                        initial=Difficulty.MEDIUM)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def as_import_row(self) -> dict:
        d = self.cleaned_data
        row = {"题型": d["qtype"], "题干": d["stem"], "答案": d["answer"], "解析": d["explanation"],
               "类别": d["category"], "难度": str(d["difficulty"])}
        for letter in "ABCDEF":
            row[f"选项{letter}"] = d[f"option_{letter.lower()}"]
        return row

    @staticmethod
    def initial_for(question) -> dict:
        data = {"unit": question.unit_id, "qtype": question.qtype, "stem": question.stem,
                "answer": {"T": "正确", "F": "错误"}.get(question.answer, question.answer),
                "explanation": question.explanation, "category": question.category,
                "difficulty": question.difficulty, "is_active": question.is_active}
        for i, text in enumerate(question.options[:6]):
            data[f"option_{'abcdef'[i]}"] = text
        return data


class QuestionImportForm(Styled):
    unit = UnitChoiceField(label=_("导入到题库（单位）"), queryset=None)
    file = forms.FileField(label=_("试题文件（.xlsx）"))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        first = units.first()
        if first is not None:
            self.fields["unit"].initial = first.pk


class ExamForm(Styled):
    MODE_CHOICES = [("random", _("按题型和类别随机抽题")), ("fixed", _("从题库中勾选固定试题"))]

    unit = UnitChoiceField(label=_("发布单位"), queryset=None)
    title = forms.CharField(label=_("考试名称"), max_length=200)
    description = forms.CharField(label=_("考试说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    start_at = forms.DateTimeField(label=_("开始时间"), widget=DateTimeInput())
    end_at = forms.DateTimeField(label=_("结束时间"), widget=DateTimeInput())
    duration_minutes = forms.IntegerField(label=_("答题时长（分钟）"), initial=60, min_value=1, max_value=600)
    pass_score = forms.DecimalField(label=_("及格分"), initial=60, min_value=0)
    max_attempts = forms.IntegerField(label=_("允许作答次数"), initial=1, min_value=1, max_value=10)
    target_root = UnitChoiceField(label=_("参考单位范围"), queryset=None, required=False,
                                  help_text=_("默认为发布单位及其全部下级单位"))
    target_kinds = forms.MultipleChoiceField(label=_("只限以下类别的单位（可选）"), choices=UnitKind.choices,
                                             required=False, widget=forms.CheckboxSelectMultiple)
    mode = forms.ChoiceField(label=_("组卷方式"), choices=MODE_CHOICES, initial="random", widget=forms.RadioSelect)
    points_single = forms.DecimalField(label=_("单选题每题分值"), initial=2, min_value=0)
    points_multiple = forms.DecimalField(label=_("多选题每题分值"), initial=3, min_value=0)
    points_true_false = forms.DecimalField(label=_("判断题每题分值"), initial=1, min_value=0)
    publish = forms.BooleanField(label=_("立即发布（参考干警即可看到）"), required=False, initial=True)

    def __init__(self, *args, units, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["target_root"].queryset = targets
