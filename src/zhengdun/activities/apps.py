from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "zhengdun.activities"
    label = "activities"
    verbose_name = _("活动记录")
    default_auto_field = "django.db.models.BigAutoField"
