from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "zhengdun.audit"
    label = "audit"
    verbose_name = _("审计")

    def ready(self):
        from zhengdun.audit import triggers

        post_migrate.connect(triggers.install_after_migrate, dispatch_uid="zhengdun.audit.triggers")
