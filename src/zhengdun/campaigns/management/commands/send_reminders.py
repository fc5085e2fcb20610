import datetime as dt

from django.core.management.base import BaseCommand

from zhengdun.campaigns.services import office_digests_send, unit_reminders_send


class Command(BaseCommand):
    help = ("为黄灯（3 天内到期）和红灯（已逾期）未完成的动作向对象单位生成站内提醒，并向下达动作的教整办发送"
            "落实汇总（逾期、被退回的单位数）；同一天重复运行不会重复提醒。请每天运行一次（cron）。")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按指定日期计算（YYYY-MM-DD，默认今天）")

    def handle(self, *args, **options):
        today = dt.date.fromisoformat(options["date"]) if options.get("date") else None
        reminders = unit_reminders_send(today=today)
        digests = office_digests_send(today=today)
        self.stdout.write(self.style.SUCCESS(f"已生成 {reminders} 条单位提醒、{digests} 条教整办落实汇总。"))
