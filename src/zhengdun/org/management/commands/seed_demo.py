from django.core.management.base import BaseCommand

from zhengdun.org.demo import seed_demo


class Command(BaseCommand):
    help = "载入演示城市（江州市）：单位、干警及其申报亲属、整顿计划、活动、学习考试、排查数据和各角色演示账号。重复运行不会重复创建。"

    def add_arguments(self, parser):
        parser.add_argument("--officers", type=int, default=5000, help="干警人数（默认 5000）")

    def handle(self, *args, **options):
        self.stdout.write("正在载入演示数据……")
        summary = seed_demo(officers_target=options["officers"])
        self.stdout.write(self.style.SUCCESS(
            f"演示城市：{summary['units']} 个单位，{summary['officers']} 名干警，{summary['relatives']} 名申报亲属。"))
        # Each part below is idempotent: it builds its demo data once.
        from zhengdun.learning.demo import seed_learning_demo

        self.stdout.write(f"学习与考试演示数据：{seed_learning_demo()}")
        from zhengdun.campaigns.demo import seed_campaign_demo

        self.stdout.write(f"整顿计划与活动记录演示数据：{seed_campaign_demo()}")
        from zhengdun.campaigns.services import reminders_send

        self.stdout.write(f"今日工作提醒：新增 {reminders_send()} 条")
        from zhengdun.screening.demo import seed_screening_demo

        dataset = seed_screening_demo()
        if dataset is not None:
            self.stdout.write(f"数据排查演示数据集：{dataset.name}（{dataset.files}）")
            run = dataset.runs.order_by("pk").first()
            if run is not None:
                self.stdout.write(f"数据排查演示运行 #{run.pk}：{run.get_status_display()}，{run.stage or run.error}")

        # Statistics: the triggers keep the rollups current; a rebuild makes sure after bulk seeding.
        from zhengdun.stats.rollups import rebuild

        self.stdout.write(f"统计汇总表已重建（{rebuild()['total']:.1f} 秒）")

        self.stdout.write("\n演示账号（密码均为 zhengdun-demo）：")
        self.stdout.write(f"  {'用户名':<14}{'角色':<14}{'单位':<22}动态口令密钥（TOTP）")
        for row in summary["accounts"]:
            self.stdout.write(f"  {row['username']:<16}{row['role']:<12}{row['unit']:<20}{row['totp_secret'] or '—'}")
        self.stdout.write("\n系统管理员、安全保密管理员、安全审计员登录时需输入动态口令：把上面的密钥加入身份验证器应用，"
                          "或运行 `zhengdun totp-code 用户名` 取得当前口令。")
        self.stdout.write("服务地址：http://127.0.0.1:8000/")
