"""Everything the Telegram front end itself says, in one place.

Dialogue wording belongs to Rasa (domain responses and actions); these are only the
front end's own messages: failures, hand-off notices and the operators' views.
"""

from __future__ import annotations

HELP = (
    "我是工会小助手，可以回答补贴政策、课程培训、读书活动等问题，也能帮您报名、申请。\n"
    "直接输入您的问题即可，或使用下面的命令：\n"
    "/start 主菜单\n"
    "/human 转人工客服\n"
    "/cancel 取消当前操作\n"
    "/mydata 查看我的个人资料\n"
    "/help 查看帮助"
)

# Rasa answered with an error or not in time. The turn may still have been done (a
# sign-up saved while the answer was late), so never say it failed: point to 我的报名.
MAY_BE_SAVED = "如果您刚才在报名或申请，可能已经办好了，请先发“我的报名”查看，不要急着重新报名。"
RASA_DOWN = (
    f"抱歉，小助手暂时出了点问题，没能及时回复您。{MAY_BE_SAVED}其他问题请稍后再试，或者点下面的按钮找工作人员。"
)
HUMAN_BUTTON_TITLE = "转人工"
HUMAN_PAYLOAD = "/request_human"
ERROR_APOLOGY = f"抱歉，处理您的消息时出了点问题。{MAY_BE_SAVED}其他问题请稍后再试，或发送 /human 找工作人员。"
LOCAL_RASA_DOWN = f"抱歉，小助手暂时出了点问题，没能及时回复您。{MAY_BE_SAVED}其他问题请稍后再试。"
TEXT_ONLY = "抱歉，我目前只能看懂文字消息和按钮。请用文字描述您的问题，或发送 /human 找工作人员。"
EDITED = "我看不到修改后的消息，请直接发送一条新消息。"
UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看可用的命令。"
SLOW_DOWN = "您发得太快了，请慢一点，我正在处理您前面的消息。"
BUTTON_EXPIRED = "按钮已失效"
BUTTON_IN_TICKET = "您正在与工作人员对话，如需回到小助手请发送 /cancel"
GROUP_NOT_SUPPORTED = "您好！工会小助手只在私聊中为职工服务，请点击我的头像私聊我。"
CHOSEN = "☑️ 您选择了：{title}"

# Hand-off, worker side
HANDOFF_DEFAULT_NOTICE = "好的，已为您转接工会工作人员，请稍候，工作人员会在这里回复您。"
HANDOFF_STAFFED = "您可以直接在这里留言，工作人员会尽快回复。发送 /cancel 可结束人工服务。"
HANDOFF_UNSTAFFED = (
    "现在是非工作时间（工作时间：{hours}），工作人员将于{next_start}起回复您。"
    "您可以先把问题留在这里。发送 /cancel 可结束人工服务。"
)
HANDOFF_ALREADY_OPEN = "您已经在人工服务中了，请直接留言，工作人员会在这里回复您。发送 /cancel 可结束人工服务。"
HANDOFF_UNAVAILABLE = "抱歉，人工服务暂时无法接通，请稍后再试。"
HANDOFF_IN_TICKET_COMMAND = "您正在与工作人员对话，请直接留言。发送 /cancel 可结束人工服务。"
HANDOFF_CLOSED_BY_OPERATOR = (
    "工作人员已结束本次人工服务，感谢您的耐心。您可以继续向小助手提问，发送 /start 查看主菜单。"
)
HANDOFF_CLOSED_BY_WORKER = "已结束人工服务，您回到了小助手。发送 /start 查看主菜单。"
OPERATOR_PREFIX = "👩‍💼 工作人员："

# Hand-off, operator side
REASONS = {
    "request_human": "用户要求转人工",
    "fallback": "小助手连续答不上来",
    "form_failures": "填写表单多次失败",
    "rasa_unavailable": "小助手故障",
}
TICKET_TOPIC = "#{id} {name}·{reason}"
TICKET_HEADER = (
    "🆕 工单 #{id}\n"
    "用户：{name}（{sender}）\n"
    "原因：{reason}\n"
    "时间：{opened}{staffed_note}\n"
    "\n最近对话：\n{transcript}\n"
    "——\n{howto}"
)
TICKET_UNSTAFFED_NOTE = "（非工作时间提交，已告知用户将于{next_start}起回复）"
TICKET_HOWTO_FORUM = "在本话题中直接回复即发给用户；以 // 开头的消息仅内部可见；发送 /done 结束工单。"
TICKET_HOWTO_REPLY = "回复本消息（或用户转来的消息）即发给用户；以 // 开头的消息仅内部可见；回复并发送 /done 结束工单。"
TRANSCRIPT_EMPTY = "（暂无对话记录）"
TRANSCRIPT_UNAVAILABLE = "（无法读取对话记录）"
TRANSCRIPT_BUTTON = "（点击按钮）{title}"
RELAY_FROM_WORKER = "💬 {name}（#{id}）：\n{text}"
RELAY_UNCOPYABLE = "（发来了一条无法转发的{kind}）"
RELAY_NOT_SHARED = "（发来了一张{kind}，为保护隐私未转发）"
CONTACT_NOT_RELAYED = "为保护您的隐私，名片不会转给工作人员。需要联系方式时，工作人员会使用您登记的信息。"
RELAY_FAILED = "抱歉，消息没能转给工作人员，请稍后再发一次。"
TICKET_CLOSED_OPS = "✅ 工单 #{id} 已关闭（{by}）。"
TICKET_CLOSED_BY_WORKER_OPS = "✅ 用户已结束人工服务，工单 #{id} 已关闭。"
TICKET_ALREADY_CLOSED = "工单 #{id} 已关闭，消息未发送。"
TICKET_DELIVERY_FAILED = "⚠️ 消息没能送达用户（工单 #{id}）：{error}"
DONE_WHERE = "请在工单话题里发送 /done，或回复工单消息发送 /done，或发送 /done 工单号。"
DONE_REFUSED = "只有工作人员可以关闭工单。"
NO_OPEN_TICKETS = "目前没有待处理的工单。"
TICKETS_TITLE = "待处理工单（{count}）："
TICKET_LINE = "#{id} {name} · {reason} · {opened} · {state}"
TICKET_STATE_WAITING = "⏳ 等待回复"
TICKET_STATE_ANSWERED = "💬 已回复"
STATS = (
    "📊 今日统计（{day}）\n"
    "对话的职工：{conversations} 人\n"
    "转人工：{handoffs} 次（当前未关闭 {open_tickets} 个）\n"
    "未能回答的问题：{gaps}"
)
STATS_GAPS_MISSING = "暂无数据"
OPERATOR_HELP = (
    "工会小助手 · 工作人员命令\n"
    "/tickets 查看待处理工单\n"
    "/stats 今日统计\n"
    "/done 结束工单（在工单话题里，或回复工单消息；也可 /done 工单号）\n"
    "在工单话题里（或回复工单消息）直接发消息即转给用户；以 // 开头的消息不转发。"
)
