from django.core.management.base import BaseCommand, CommandError

from zhengdun.audit.chain import verify


class Command(BaseCommand):
    help = "校验审计哈希链：报告第一条被修改、删除、重排或伪造的记录，以及与检查点不符的链尾。"

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="列出全部问题，而不是只报告第一个")

    def handle(self, *args, **options):
        result = verify(stop_at_first=not options["all"])
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"提示：{warning}"))
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(self.style.ERROR(f"审计链校验失败：{problem}"))
            raise CommandError(f"审计链校验失败（已校验 {result.checked} 个链节）", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"审计链完整：已校验 {result.checked} 个链节，检查点一致。"))
