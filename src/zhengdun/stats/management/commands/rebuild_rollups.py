from django.core.management.base import BaseCommand

from zhengdun.stats.rollups import rebuild


class Command(BaseCommand):
    help = "从活动、学习、考试、谈话、承诺书和规定动作记录重新计算全部统计汇总表（rollups）。"

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        timings = rebuild(options["database"], verbose=self.stdout.write if options["verbosity"] > 1 else None)
        self.stdout.write(self.style.SUCCESS(f"统计汇总表已重建，用时 {timings['total']:.1f} 秒"))
