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


#: What an outcome's status means, for staff.
STATUS_NAMES: dict[str, str] = {
    "answered": "用知识库的条目回答",
    "passage": "知识库没有合适的条目，用导入文件里的一段回答",
    "menu": "列出这个话题的条目让职工选",
    "gone": "按钮指向的条目已经删除",
    "not_sure": "没有把握，推荐最接近的几条",
    "not_found": "答不上来",
    "out_of_scope": "不是工会的事，礼貌地拒绝",
    "handoff": "连续答不上，转给人工客服",
    "empty": "没有可列出的内容",
}
#: The knowledge intents, named for staff.
TOPIC_INTENTS: dict[str, str] = {
    "ask_subsidy": "补贴类问题",
    "ask_course": "课程类问题",
    "ask_reading": "读书类问题",
    "ask_sports": "文体类问题",
    "ask_general": "一般问题",
    "out_of_scope": "与工会无关的问题",
}


def context_for(result: service.Preview | None) -> dict[str, object]:
    """The names the outcome template shows (shared with the edit form's preview)."""
    if result is None:
        return {}
    name = result.intent.name or ""
    return {
        "other_intent": OTHER_INTENTS.get(name),
        "intent_label": TOPIC_INTENTS.get(name) or OTHER_INTENTS.get(name) or name,
        "status_label": STATUS_NAMES.get(result.outcome.status, result.outcome.status) if result.outcome else "",
    }


@role_required(STAFF)
def preview(request: HttpRequest) -> HttpResponse:
    question = (request.GET.get("q") or "").strip()[:500]
    result = service.preview(question) if question else None
    context = {"question": question, "preview": result, **context_for(result)}
    return render(request, "console/preview.html", context)
