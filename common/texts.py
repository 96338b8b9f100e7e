"""What workers and staff read, in Chinese, where a Rasa response does not fit.

Rasa responses in the domain hold what the dialogue says by itself (greeting, thanks,
out of scope). Everything else a worker or a staff member reads — the hand-off notices,
the apologies, the buttons every part offers, the front ends' own messages, the sign-up
forms' questions — lives here, once: a wording change is one edit and shows everywhere.

Policy facts (who pays, how much, which class) never live here: they come from
``knowledge/``, which staff edit. A text here may say *how* to do something in the chat,
never *what the union offers*.

Sections are by who reads the text and where it appears; each name says what the text is
for, not where it happens to be used.
"""

from __future__ import annotations

Button = dict[str, str]

# ---------------------------------------------------------------- buttons every part offers

HUMAN_BUTTON: Button = {"title": "转人工", "payload": "/request_human"}
TOPIC_MENU: tuple[Button, ...] = (
    {"title": "补贴政策", "payload": "/ask_subsidy"},
    {"title": "课程培训", "payload": "/ask_course_list"},
    {"title": "读书活动", "payload": "/ask_reading"},
)
MY_RECORDS_BUTTON: Button = {"title": "我的报名", "payload": "/my_records"}

# ---------------------------------------------------------------- hand-off (worker side)

#: What a worker reads when handed to a person, by reason (``action_handoff``; the REST
#: channel says the first one itself when the action server is down).
HANDOFF_NOTICE: dict[str, str] = {
    "request_human": "好的，已为您转接工会工作人员，请稍候，工作人员会在这里回复您。",
    "fallback": "抱歉，这个问题我暂时答不好，已为您转接工会工作人员，请稍候。",
    "form_failures": "看起来填写遇到了困难，已为您转接工会工作人员协助办理，请稍候。",
}

# ---------------------------------------------------------------- apologies

#: Rasa answered late or with an error. The turn may still have been done (a sign-up
#: saved while the answer was late), so never say it failed: point to 我的报名.
MAY_BE_SAVED = "如果您刚才在报名或申请，可能已经办好了，请先发“我的报名”查看，不要急着重新报名。"
NO_TIMELY_REPLY = "抱歉，小助手暂时出了点问题，没能及时回复您。"

# ---------------------------------------------------------------- front ends: worker chat, operators' group, terminal

# What the front ends say by themselves (Rasa's replies are relayed as they are). A
# Telegram command or a WeChat menu shows these; none of them states a policy fact.

#: ``/help`` in a worker's chat.
CHAT_HELP = (
    "我是工会小助手，可以回答补贴政策、课程培训、读书活动等问题，也能帮您报名、申请。\n"
    "直接输入您的问题即可，或使用下面的命令：\n"
    "/start 主菜单\n"
    "/human 转人工客服\n"
    "/cancel 取消当前操作\n"
    "/mydata 查看我的个人资料\n"
    "/help 查看帮助"
)
#: The command menu a worker sees beside the text box, by command.
WORKER_COMMAND_MENU: dict[str, str] = {
    "start": "主菜单",
    "help": "帮助",
    "human": "转人工客服",
    "cancel": "取消当前操作",
    "mydata": "查看我的个人资料",
}
#: Rasa did not answer (down, an error, nothing, too late): a person is offered on a button.
NO_REPLY_OFFER_PERSON = f"{NO_TIMELY_REPLY}{MAY_BE_SAVED}其他问题请稍后再试，或者点下面的按钮找工作人员。"
#: The front end itself failed while handling a message (its error handler).
HANDLING_FAILED = f"抱歉，处理您的消息时出了点问题。{MAY_BE_SAVED}其他问题请稍后再试，或发送 /human 找工作人员。"
TEXT_ONLY = "抱歉，我目前只能看懂文字消息和按钮。请用文字描述您的问题，或发送 /human 找工作人员。"
MESSAGE_EDITED = "我看不到修改后的消息，请直接发送一条新消息。"
UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看可用的命令。"
SLOW_DOWN = "您发得太快了，请慢一点，我正在处理您前面的消息。"
#: Buttons without a text of their own (Rasa sent only buttons).
CHOOSE_PROMPT = "请选择："
BUTTON_EXPIRED = "按钮已失效"
BUTTON_IN_TICKET = "您正在与工作人员对话，如需回到小助手请发送 /cancel"
#: Appended to a message whose keyboard was pressed (and removed).
BUTTON_CHOSEN = "☑️ 您选择了：{title}"
#: An image the chat could not show: its caption (or this word) and the link.
IMAGE_LINK = "{caption}：{url}"
IMAGE_DEFAULT_CAPTION = "图片"
GROUP_NOT_SUPPORTED = "您好！工会小助手只在私聊中为职工服务，请点击我的头像私聊我。"
#: A worker whose chat shows no name.
UNNAMED_WORKER = "用户{user_id}"

# Hand-off, the worker's side (after ``HANDOFF_NOTICE``).
#: Staffed hours as workers and operators read them (``bot.hours``).
STAFFED_ALWAYS = "全天"
STAFFED_WEEKDAYS = "周一至周五 {spans}"
STAFFED_SPAN_SEPARATOR = "、"
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
DAY_TODAY = "今天"
DAY_TOMORROW = "明天"
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
#: Before every operator reply the worker reads.
OPERATOR_PREFIX = "👩‍💼 工作人员："
CONTACT_NOT_RELAYED = "为保护您的隐私，名片不会转给工作人员。需要联系方式时，工作人员会使用您登记的信息。"
RELAY_FAILED = "抱歉，消息没能转给工作人员，请稍后再发一次。"

# Hand-off, the operators' side.
#: Why a ticket opened, by the reason in ``action_handoff``'s payload (``rasa_unavailable``:
#: the front end opened it itself because Rasa could not be reached).
HANDOFF_REASON_LABELS: dict[str, str] = {
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
#: What a worker sent that is not text, as the operators read it, by Telegram's field.
MEDIA_KIND_NAMES: dict[str, str] = {
    "sticker": "贴纸",
    "photo": "图片",
    "voice": "语音",
    "video_note": "视频消息",
    "video": "视频",
    "animation": "动图",
    "audio": "音频",
    "document": "文件",
    "venue": "地点",
    "location": "位置",
    "contact": "名片",
    "poll": "投票",
    "dice": "骰子",
}
MEDIA_KIND_OTHER = "消息"
TICKET_CLOSED_OPS = "✅ 工单 #{id} 已关闭（{by}）。"
TICKET_CLOSED_BY_SYSTEM = "系统"
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
STATS_GAPS = "今日 {today} 条（累计 {total} 条）"
STATS_GAPS_MISSING = "暂无数据"
#: The command menu in the operators' group, by command.
OPERATOR_COMMAND_MENU: dict[str, str] = {
    "tickets": "待处理工单",
    "stats": "今日统计",
    "done": "结束工单",
    "help": "工作人员帮助",
}
OPERATOR_HELP = (
    "工会小助手 · 工作人员命令\n"
    "/tickets 查看待处理工单\n"
    "/stats 今日统计\n"
    "/done 结束工单（在工单话题里，或回复工单消息；也可 /done 工单号）\n"
    "在工单话题里（或回复工单消息）直接发消息即转给用户；以 // 开头的消息不转发。"
)

# The terminal chat (``python -m bot.local_chat``, for trying the assistant out).
TERMINAL_WELCOME = "工会小助手（本地聊天）。输入问题后回车；输入按钮前的数字即可点按钮；输入 /quit 退出。"
TERMINAL_PROMPT = "您："
TERMINAL_REPLY = "小助手：{text}"
TERMINAL_IMAGE = "小助手：[图片] {url}"
TERMINAL_BUTTON = "   [{number}] {title}"
TERMINAL_HANDOFF = "（已转人工：在 Telegram 上工作人员会在这里回复；本地聊天没有工作人员。）"
TERMINAL_NO_REPLY = f"{NO_TIMELY_REPLY}{MAY_BE_SAVED}其他问题请稍后再试。"
TERMINAL_NO_SERVER = "无法连接 Rasa 服务器，请先运行 make serve（或 make run）。"

# ---------------------------------------------------------------- this month's book (knowledge)

#: Said instead of the reading teams' book when staff have not entered it in reading.yml
#: yet (``{month}``: 2026年12月).
BOOK_NOT_ANNOUNCED = "本月（{month}）精读书目还没有公布，请留意工会通知。"
#: Follows BOOK_NOT_ANNOUNCED: the latest earlier book, named with its own month so nobody
#: takes it for this month's (``{book}``: 《书名》，作者 著).
EARLIER_BOOK = "上一期（{month}）精读的是{book}。"
