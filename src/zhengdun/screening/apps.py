from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "zhengdun.screening"
    label = "screening"
    verbose_name = _("智能化数据排查")
