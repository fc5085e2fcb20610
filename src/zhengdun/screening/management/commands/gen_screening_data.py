"""`zhengdun gen-screening-data --scale small|city|province OUT_DIR [--format csv|parquet|both] [--seed N]`."""

from django.core.management.base import BaseCommand, CommandError

from zhengdun.screening.engine.cli import add_generate_args, run_generate


class Command(BaseCommand):
    help = "Write a synthetic screening data set (contract format) with planted conflicts and truth.csv"

    def add_arguments(self, parser):
        add_generate_args(parser)

    def handle(self, *args, **opts):
        code = run_generate(opts["out_dir"], scale=opts["scale"], fmt=opts["fmt"], seed=opts["seed"],
                            as_of=opts["as_of"], stdout=self.stdout, stderr=self.stderr)
        if code:
            raise CommandError("generation failed", returncode=code)
