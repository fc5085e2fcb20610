"""`zhengdun screen-score TRUTH HITS`: precision and recall per rule and overall."""

from django.core.management.base import BaseCommand, CommandError

from zhengdun.screening.engine.cli import add_score_args, run_score


class Command(BaseCommand):
    help = "Print precision and recall of a hits.csv against a truth.csv, per rule and overall"

    def add_arguments(self, parser):
        add_score_args(parser)

    def handle(self, *args, **opts):
        code = run_score(opts["truth"], opts["hits"], stdout=self.stdout, stderr=self.stderr)
        if code:
            raise CommandError("scoring failed", returncode=code)
