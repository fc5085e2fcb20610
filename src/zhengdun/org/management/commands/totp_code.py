import time

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "显示某账号当前的 TOTP 动态口令（仅用于演示环境，便于不装验证器应用时登录）。"

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        device = TOTPDevice.objects.filter(user__username=options["username"], confirmed=True).first()
        if device is None:
            raise CommandError(f"账号 {options['username']} 没有已绑定的动态口令")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        self.stdout.write(f"{code:0{device.digits}d}（约 {device.step - int(time.time()) % device.step} 秒后更新）")
