import datetime as dt

from django.core.management.base import BaseCommand

from zhengdun.campaigns.services import reminders_send


class Command(BaseCommand):
    help = "为黄灯（3 天内到期）和红灯（已逾期）未完成的动作生成站内提醒；同一天重复运行不会重复提醒。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按指定日期计算（YYYY-MM-DD，默认今天）")

    def handle(self, *args, **options):
        today = dt.date.fromisoformat(options["date"]) if options.get("date") else None
        created = reminders_send(today=today)
        self.stdout.write(self.style.SUCCESS(f"已生成 {created} 条提醒。"))
