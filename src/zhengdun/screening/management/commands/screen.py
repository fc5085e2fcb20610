"""`zhengdun screen DATA_DIR --out HITS.csv [--as-of D] [--engine duckdb|spark] [--rules r1,r2]`.

A thin wrapper: the work is done by zhengdun.screening.engine, which knows nothing of Django.
"""

from django.core.management.base import BaseCommand, CommandError

from zhengdun.screening.engine.cli import add_screen_args, run_screen


class Command(BaseCommand):
    help = "Screen a folder of registry extracts for conflicts of interest and write hits.csv"

    def add_arguments(self, parser):
        add_screen_args(parser)

    def handle(self, *args, **opts):
        code = run_screen(opts["data_dir"], opts["out"], as_of=opts["as_of"], engine=opts["engine"],
                          rules=opts["rules"], stdout=self.stdout, stderr=self.stderr)
        if code:
            raise CommandError("screening failed; nothing written", returncode=code)
