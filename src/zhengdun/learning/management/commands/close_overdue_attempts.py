from django.core.management.base import BaseCommand

from zhengdun.learning.services import attempt_close_overdue


class Command(BaseCommand):
    help = "收卷：把已超过答题时限仍未交卷的试卷按时限内保存的答案评分（可由定时任务运行）。"

    def handle(self, *args, **options):
        closed = attempt_close_overdue()
        self.stdout.write(self.style.SUCCESS(f"已收卷 {closed} 份超时试卷。"))
