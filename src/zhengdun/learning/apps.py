from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "zhengdun.learning"
    label = "learning"
    verbose_name = _("学习与考试")

    def ready(self):
        # Sections of the one-file-per-officer page: this app's own, then any other app's
        # `<app>.officer_file` module (found when the page is first built; see officer_file.py).
        from zhengdun.learning import officer_file_sections  # noqa: F401
