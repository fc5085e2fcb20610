from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "zhengdun.stats"
    label = "stats"
    verbose_name = _("统计分析")

    def ready(self):
        from zhengdun.stats import triggers

        post_migrate.connect(triggers.install_after_migrate, dispatch_uid="zhengdun.stats.triggers")
