"""``python -m console createadmin``: the first admin account (there is no default one,
and no default password: it is typed twice, or read from standard input for scripts)."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from console import audit
from console.models import Profile
from console.roles import ADMIN, ensure_groups


class Command(BaseCommand):
    help = "新建一个管理员账号（没有默认密码）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True, help="登录名")
        parser.add_argument("--name", default="", help="姓名")
        parser.add_argument("--password-stdin", action="store_true", help="从标准输入读密码（脚本用）")

    def handle(self, *args: Any, username: str, name: str, password_stdin: bool, **options: Any) -> None:
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"账号 {username} 已经存在。忘了密码请让另一位管理员在后台重设。")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("密码（至少10位）：")
            if getpass.getpass("再输一次：") != password:
                raise CommandError("两次输入的密码不一样，没有新建账号。")
        try:
            password_validation.validate_password(password, User(username=username))
        except ValidationError as error:
            raise CommandError("密码不合格，没有新建账号：" + "；".join(error.messages)) from None
        ensure_groups()
        with transaction.atomic():
            user = User.objects.create_user(username, password=password)
            Profile.objects.create(user=user, display_name=name)
            user.groups.add(Group.objects.get(name=ADMIN))
            audit.record(None, "account_create", f"用命令行新建管理员 {username}", target=username, username="(命令行)")
        self.stdout.write(f"已新建管理员 {username}。用它登录后台，在“账号”里给同事开账号。")
