"""命中测试: what the bot answers to a question, with the same code as the bot."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console import service
from console.roles import STAFF, role_required

#: Intents that are not answered from the knowledge (the bot does something else).
OTHER_INTENTS: dict[str, str] = {
    "greet": "打招呼",
    "goodbye": "告别",
    "thank": "道谢",
    "bot_challenge": "问“你是机器人吗”",
    "request_human": "转人工",
    "affirm": "同意",
    "deny": "否定",
    "stop": "停止当前表单",
    "inform": "填写表单内容",
    "enroll_course": "报名课程",
    "join_reading_team": "加入读书团队",
    "apply_subsidy": "申请补贴",
    "update_profile": "修改个人信息",
    "my_records": "查看我的报名",
    "my_data": "查看我的数据",
    "cancel_record": "取消报名",
    "check_application": "查询申请",
    "delete_my_data": "删除我的数据",
    "ask_course_list": "列出全部课程",
}


@role_required(STAFF)
def preview(request: HttpRequest) -> HttpResponse:
    question = (request.GET.get("q") or "").strip()[:500]
    result = service.preview(question) if question else None
    other = OTHER_INTENTS.get(result.intent.name or "") if result is not None else None
    return render(request, "console/preview.html", {"question": question, "preview": result, "other_intent": other})
