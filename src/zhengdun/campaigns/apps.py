from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "zhengdun.campaigns"
    label = "campaigns"
    verbose_name = _("整顿计划")
    default_auto_field = "django.db.models.BigAutoField"
