"""The console's sections, in the order of the menu, each with the roles that see it.

A page adds its section here and its views under ``console/views/``; the menu and the
home page follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from console.roles import ADMIN, OPERATOR, ROLES, STAFF, has_role, roles_of


@dataclass(frozen=True)
class Section:
    url_name: str
    title: str
    roles: tuple[str, ...]
    blurb: str = ""


SECTIONS: tuple[Section, ...] = (
    Section("inbox", "人工客服", (OPERATOR,), "各渠道转人工的工单：看对话、回复职工、关闭工单"),
    Section("application_list", "补贴申请", (STAFF,), "审核学历提升补贴申请：通过、不通过、批量通过"),
    Section("course_list", "课程名单", (STAFF,), "各课程的报名和候补名单、修改名额、导出 Excel"),
    Section("dashboard", "数据看板", (STAFF,), "对话、答题率、转人工、报名和申请的每日图表"),
    Section("knowledge_list", "知识库", (STAFF,), "常见问题、课程、补贴、读书、文体、单位：查看、新增、修改"),
    Section("preview", "命中测试", (STAFF,), "输入一个问题，看小助手会怎么回答"),
    Section("documents", "文件", (STAFF,), "导入通知文件，小助手用它回答知识库里没有的问题"),
    Section("gaps", "答不上的问题", (STAFF,), "职工问了但小助手答不上的问题，写成常见问题"),
    Section("worker_search", "职工数据", (ADMIN,), "按手机号查找职工，查阅或按书面申请删除其个人数据"),
    Section("audit", "操作记录", (ADMIN,), "谁在什么时候改了什么"),
    Section("accounts", "账号", (ADMIN,), "新建账号、分配角色、重设密码"),
    Section("console_settings", "设置", (ADMIN,), "后台的运行设置"),
)


def visible_sections(user: Any) -> list[Section]:
    return [s for s in SECTIONS if has_role(user, *s.roles)]


def context(request: HttpRequest) -> dict[str, Any]:
    """Menu and role names for every template."""
    user = getattr(request, "user", None)  # absent on a page refused before authentication
    mine = roles_of(user)
    return {
        "nav_sections": visible_sections(user),
        "my_roles": [ROLES[r] for r in ROLES if r in mine],
        "display_name": getattr(getattr(user, "profile", None), "display_name", "") if mine else "",
    }
