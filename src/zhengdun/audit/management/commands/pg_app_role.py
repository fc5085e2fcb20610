from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from zhengdun.audit.pg import grant_app_role


class Command(BaseCommand):
    help = ("PostgreSQL：创建（或更新）应用程序使用的数据库角色，授予业务表读写权限，"
            "但对审计表只允许查询和追加（不能 UPDATE、DELETE、TRUNCATE）。以数据库管理员身份运行，迁移之后执行。")

    def add_arguments(self, parser):
        parser.add_argument("role", help="角色名，例如 zhengdun_app")
        parser.add_argument("--password", help="登录密码（创建新角色时）")
        parser.add_argument("--existing", action="store_true", help="角色已存在，只重新授权")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("当前数据库不是 PostgreSQL")
        with transaction.atomic():
            statements = grant_app_role(options["role"], options["password"], create=not options["existing"])
        for sql in statements:
            self.stdout.write(sql)
        self.stdout.write(self.style.SUCCESS(
            f"已授权。生产环境请用该角色连接：DATABASE_URL=postgres://{options['role']}:…@host/db"))
