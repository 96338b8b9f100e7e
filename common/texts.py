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
TERMINAL_HANDOFF = "（已转人工：工作人员在后台“人工客服”里回复，回复在您发下一条消息时显示；发“结束人工”回到小助手。）"
TERMINAL_NO_REPLY = f"{NO_TIMELY_REPLY}{MAY_BE_SAVED}其他问题请稍后再试。"
TERMINAL_NO_SERVER = "无法连接 Rasa 服务器，请先运行 make serve（或 make run）。"

# ---------------------------------------------------------------- this month's book (knowledge)

#: Said instead of the reading teams' book when staff have not entered it in reading.yml
#: yet (``{month}``: 2026年12月).
BOOK_NOT_ANNOUNCED = "本月（{month}）精读书目还没有公布，请留意工会通知。"
#: Follows BOOK_NOT_ANNOUNCED: the latest earlier book, named with its own month so nobody
#: takes it for this month's (``{book}``: 《书名》，作者 著).
EARLIER_BOOK = "上一期（{month}）精读的是{book}。"


# ---------------------------------------------------------------- sign-ups, records and answers (actions/)
# What the custom actions say. Grouped by feature, in the order of actions/: answers,
# hand-off, then the sign-up forms (actions/signup/<feature>.py), then 我的报名/我的数据/我的申请.
# Placeholders in braces are filled with str.format by the action that says the text.
# Policy facts (who pays, which class) are not here: the actions read them from knowledge/.

# · shared by the actions
YES_NO_WORD: dict[bool, str] = {True: "是", False: "否"}
SOURCE_LINE = "📄 依据：{source}"
TECHNICAL_PROBLEM = "抱歉，系统暂时出了点问题，这次没有办成 🙏 请稍后再试，或者说“转人工”找工作人员。"
NOT_UNDERSTOOD = "抱歉，我没太明白您的意思。可以换个说法，或者点下面的主题："
COURSES_BUTTON: Button = {"title": "课程培训", "payload": "/ask_course_list"}
OTHER_COURSES_BUTTON: Button = {"title": "其他课程", "payload": "/ask_course_list"}
READING_BUTTON: Button = {"title": "读书活动", "payload": "/ask_reading"}
MY_APPLICATIONS_BUTTON: Button = {"title": "我的申请", "payload": "/check_application"}
APPLY_SUBSIDY_BUTTON: Button = {"title": "申请学历补贴", "payload": "/apply_subsidy"}
#: What a worker with no records can start.
NOTHING_YET_BUTTONS: tuple[Button, ...] = (
    {"title": "课程培训", "payload": "/ask_course_list"},
    {"title": "加入读书团队", "payload": "/join_reading_team"},
    APPLY_SUBSIDY_BUTTON,
)

# · answers from the knowledge base (actions/answers.py)
KNOWLEDGE_UNAVAILABLE = "抱歉，资料库正在维护，暂时回答不了。请稍后再问，或者转人工。"
ENTRY_GONE = "这条内容已经更新或下线了，请换个说法再问我一次。"
TOPIC_HEADING = "关于{topic}，您可以点选想了解的内容，或者直接打字问我："
#: The name of each topic a bare topic button lists, by knowledge kind.
TOPIC_NAMES: dict[str, str] = {
    "subsidy": "补贴政策",
    "reading": "读书活动",
    "sports": "文体健身",
    "course": "课程培训",
    "faq": "常见问题",
}
NOT_SURE = "这个问题我还不太确定 🤔 您是想问下面哪一个？也可以换个说法再问。"
CANNOT_ANSWER = "这个问题我暂时答不上来 🤔 您可以换个说法，或者看看下面的常见主题。"
#: Clearly not the union's business (weather, stocks); shown with the topics and a person.
OUT_OF_SCOPE = "抱歉，这个问题我帮不上忙 🙏 我只能解答工会的补贴政策、技能课程报名和读书活动方面的问题。"
ENROLL_THIS_COURSE = "我要报名"
COURSES_NONE_IN_DISTRICT = "暂时没有找到{district}的专门课程，下面是全市都可以参加的课程："
COURSES_UPDATING = "课程信息正在更新，请稍后再问，或者说“转人工”。"
COURSES_IN_DISTRICT = "{district}的课程："
COURSES_ALL = "工会的课程和培训项目："
COURSES_CATEGORY_LINE = "· {category}：{names}"
COURSES_OTHER_CATEGORY = "其他"
COURSES_PROGRAMME_LINE = "（{programme}：{facts}）"
COURSES_HOW_TO_PICK = "点一个课程看详情，或直接说“我想报名PLC编程”。"

# · every sign-up form (actions/signup/base.py, actions/signup/leave.py)
STOP_BUTTON: Button = {"title": "算了", "payload": "/stop"}
EDIT_PROFILE_BUTTON: Button = {"title": "修改信息", "payload": "修改信息"}
YES_OR_NO_BUTTONS: tuple[Button, ...] = ({"title": "是", "payload": "/affirm"}, {"title": "不是", "payload": "/deny"})
ASK_FALLBACK = "请回答上面的问题，或者说“算了”退出。"
ANSWER_FIRST = "请先回答上面的问题，或者说“算了”退出当前办理。"
PRESS_A_BUTTON = "请点下面的按钮回答 🙂"
YES_OR_NO = "请回答“是”或“不是”，也可以点下面的按钮。"
#: The buttons of the form_help question (after three wrong answers to one question):
#: try again with an example, leave (nothing saved), a person. 转人工 is /affirm, which
#: that question does not extract: the form rejects it and a rule runs action_handoff
#: inside the form.
FORM_HELP_BUTTONS: tuple[Button, ...] = (
    {"title": "再试一次（看例子）", "payload": "/deny"},
    {"title": "退出，不保存", "payload": "/stop"},
    {"title": "转人工", "payload": "/affirm"},
)
#: What a worker reads when a form is left without saving (算了, or "no" at the end).
FORM_CANCELLED: dict[str, str] = {
    "profile_form": "好的，已取消，您的资料没有改动。",
    "enroll_form": "好的，已取消报名，没有保存任何内容。",
    "reading_form": "好的，已取消，没有加入读书团队，也没有保存任何内容。",
    "subsidy_form": "好的，已取消补贴申请，没有保存任何内容。",
    "cancel_form": "好的，不取消了，您的记录保持不变。",
    "delete_form": "好的，不删除了，您的数据保持不变。",
}
FORM_CANCELLED_DEFAULT = "好的，已取消，没有保存任何内容。"
#: The same question every time it is asked, by slot (actions/signup/*: StaticAskAction).
QUESTIONS: dict[str, str] = {
    "worker_phone": "请输入您的手机号（11位），方便工作人员联系您：",
    "worker_employer": "您在哪个单位工作？请输入单位名称，例如“宁波XX有限公司”：",
    "worker_district": "您的单位在哪个区（县、市）？",
    "worker_union_member": "您是工会会员吗？",
    "school": "毕业学校是？请输入全称，例如“宁波开放大学”：",
    "programme": "所学专业是？可以加上层次，例如“机电一体化技术（大专）”：",
    "graduation_date": "哪年哪月毕业的？例如“2024年6月”：",
    "certificate_no": "请输入毕业证书编号（证书上的编号，一般是18位数字）：",
    "form_help": (
        "这一项好像不太好填 🙏 您可以：再试一次（我举个例子）；先退出（什么都不会保存）；或者请工会工作人员帮您办理。"
    ),
}
#: Asked instead when the worker chose to change that field of their profile.
EDIT_QUESTIONS: dict[str, str] = {
    "worker_name": "请输入新的姓名：",
    "worker_phone": "请输入新的手机号（11位）：",
    "worker_employer": "请输入新的工作单位名称：",
    "worker_district": "您的单位现在在哪个区（县、市）？",
    "worker_union_member": "您现在是工会会员吗？",
}
CONFIRMATION_EXPLANATION = "同意就点第一个按钮（或回答“是”）；不办了就回答“不”或“算了”，什么都不会改动。"
#: Said after the second wrong answer in a row to a question, by slot. The subsidy
#: form's model_worker_class explanation starts with the knowledge base's own answer.
EXPLANATIONS: dict[str, str] = {
    "worker_name": (
        "只需要输入姓名本身，2到5个汉字（少数民族姓名可以带“·”），例如“王芳”或“买买提·艾力”。"
        "姓名用于工作人员联系和核对，不会公开。"
    ),
    "worker_phone": (
        "手机号是11位数字，以1开头，例如 13812345678，中间可以有空格。"
        "固定电话和带字母的号码不行。号码只用于工作人员联系您，回复里会打码显示。"
    ),
    "worker_employer": "请输入您工作单位的名称（2到60个字），例如“宁波永发机械有限公司”，简称也可以。",
    "worker_district": (
        "这里问的是您单位所在的区县（宁波市的{count}个区、县、市之一），例如“海曙”“北仑”“余姚”。"
        "如果单位不在宁波，请选离您最近的一个。"
    ),
    "worker_union_member": "加入了工会、有工会会员身份的请点“是”，没有入会或不清楚的请点“不是”。不是会员也可以报名。",
    "profile_confirmed": "上面是我们登记的您的信息。信息都对就点“是”；有哪一项要改，就点“修改”。",
    "profile_field": "每次改一项：点要改的那一项，输入新内容，改完会再给您确认一遍。都不用改就点“不用改了”。",
    "course_id": (
        "点下面课程的按钮就能选中；也可以输入课程名称，例如“PLC编程”“汽车维修”。"
        "想先了解课程，可以说“算了”，再问我“有哪些课程”。"
    ),
    "team_kind": (
        "单位读书会由您单位的职工组成；地区读书会由同一个区县的职工组成。选一个就行，以后还可以再加入另一个。"
    ),
    "school": "请输入毕业证书上的学校名称，例如“宁波开放大学”“浙江工商职业技术学院”。",
    "programme": "请输入毕业证书上的专业名称，可以加上层次，例如“机电一体化技术（大专）”“会计学（本科）”。",
    "graduation_date": (
        "请写毕业证书上的毕业年月，例如“2024年6月”“2024-06”。在这里申请要先拿到毕业证，所以不能晚于本月。"
    ),
    "certificate_no": (
        "证书编号印在毕业证书的右下方，一般是18位数字（有的证书带字母前缀）。"
        "请照着证书输入，可以带空格。编号只用于工作人员核对，回复里会打码显示。"
    ),
    "model_worker_class": "如果您读的是普通学历提升班或其他学校，请点“不是”。",
    "cancel_target": "下面每个按钮是您的一条记录，点哪一条就取消哪一条（取消前还会再确认一次）。",
    "enroll_confirmed": CONFIRMATION_EXPLANATION,
    "subsidy_confirmed": CONFIRMATION_EXPLANATION,
    "cancel_confirmed": CONFIRMATION_EXPLANATION,
    "delete_confirmed": CONFIRMATION_EXPLANATION,
}

# · the worker's profile (actions/signup/profile.py, actions/signup/parsing.py)
NAME_MISSING = "请告诉我您的姓名。"
NOT_A_NAME = "这好像不是姓名 🙂 请输入您的真实姓名，例如“张伟”。"
NAME_TOO_LONG = "姓名一般是2到5个字，请只输入姓名，例如“张伟”。"
NOT_AN_EMPLOYER = "请输入您工作单位的名称，例如“宁波XX有限公司”。"
DISTRICT_NOT_FOUND = "没有找到这个区县。{hint}也可以直接点下面的按钮。"
PROFILE_CONFIRM_OR_EDIT = "请点“是”确认，或者点“修改”更改信息。"
PROFILE_PICK_FIELD = "请点要修改的一项：姓名、手机号、工作单位、所在区或会员身份。"
PROFILE_MEMBER = "工会会员"
PROFILE_NOT_MEMBER = "非工会会员"
PROFILE_NO_NAME = "（未填姓名）"
PROFILE_SUMMARY = "{name}（{details}）"
ASK_NAME = "请问您的姓名是？"
ASK_NAME_FIRST_TIME = "{first}几项基本信息（只需登记一次），说“算了”可以随时退出。\n请问您的姓名是？"
REGISTER_FOR = "{purpose}需要先登记"
REGISTER_FIRST_TIME = "第一次办理需要登记"
#: What the worker is doing, heading the profile questions, by form.
FORM_PURPOSE: dict[str, str] = {
    "reading_form": "加入读书团队",
    "subsidy_form": "申请学历提升补贴",
    "enroll_form": "报名",
}
ENROLL_PURPOSE = "报名「{course}」"
PROFILE_IS_IT_YOU = "{purpose}您是{summary}吗？"
PROFILE_CONFIRM = "请确认您的信息：{summary}，对吗？"
PROFILE_CONFIRM_FALLBACK = "您的信息对吗？"
PROFILE_CONFIRM_BUTTONS: tuple[Button, ...] = (
    {"title": "是", "payload": "/affirm"},
    {"title": "修改", "payload": "/deny"},
)
PROFILE_WHICH_FIELD = "您现在登记的信息：{summary}\n要修改哪一项？"
PROFILE_WHICH_FIELD_FALLBACK = "要修改哪一项？姓名、手机号、工作单位、所在区还是会员身份？"
#: The profile fields a worker can change, as the button titles (the titles are typed back).
PROFILE_FIELD_TITLES: tuple[str, ...] = ("姓名", "手机号", "工作单位", "所在区", "会员身份")
PROFILE_NO_CHANGE_BUTTON: Button = {"title": "不用改了", "payload": "/affirm"}
PROFILE_SAVED = "已保存 ✅ 您的信息：{summary}"
PROFILE_UNCHANGED = "好的，您的信息没有变化：{summary}"

# · course enrollment (actions/signup/enrollment.py)
ENROLL_PICK_FIRST = "请先选择要报名的课程，或者说“算了”退出报名。"
ENROLL_PROGRAMME_CHOICES = "「{programme}」包括下面几门课程，您想报名哪一门？"
ENROLL_CHOICES = "您说的可能是下面几门课程中的一门："
ENROLL_NOT_HERE = "「{course}」不需要在小助手里报名（详情可以问我“{course}是什么”）。下面是可以在这里报名的课程："
ENROLL_NOT_FOUND = "没有找到“{mention}”这门课程。下面是可以报名的课程，请点选："
ENROLL_PICK = "请点选要报名的课程："
ENROLL_WHICH = "您想报名哪门课程？请点选，也可以直接输入课程名称："
ENROLL_WHICH_FALLBACK = "您想报名哪门课程？请输入课程名称，例如“PLC编程”。"
ENROLL_ALREADY = "您已经报名了「{course}」（报名号 {number}，{state}），不用重复报名 🙂"
ENROLL_WAITLIST_PLACE = "候补第{position}位"
ENROLL_WHO = "报名人：{summary}"
ENROLL_FULL = "「{course}」的{capacity}个名额已经报满了 😥"
ENROLL_CAN_WAIT = "可以排候补：现在有{waiting}人在候补，您会是第{position}位。"
WAITLIST_PROMISE = "有人取消时按顺序递补，递补成功会通知您。"
ENROLL_WANT_TO_WAIT = "要排候补吗？"
ENROLL_CONFIRM = "确认报名「{course}」吗？{seats}"
ENROLL_SEATS_LEFT = "（还剩{left}个名额）"
ENROLL_CONFIRM_FALLBACK = "确认报名吗？"
ENROLL_YES = "确认报名"
ENROLL_YES_WAIT = "排候补"
ENROLL_CLOSED = "抱歉，这门课程刚刚停止报名了，没有为您报名。"
ENROLL_MORE_COURSES_BUTTON: Button = {"title": "看看其他课程", "payload": "/ask_course_list"}
ENROLL_DONE = "报名成功 ✅"
ENROLL_COURSE = "课程：{course}"
ENROLL_NUMBER = "报名号：{number}"
ENROLL_CONTACT = "开课前工作人员会通过 {phone} 联系您。"
ENROLL_HOW_TO_CANCEL = "不能参加时，发“我的报名”就可以取消。"
ENROLL_WAITLISTED = "已为您排上候补 ⏳"
ENROLL_COURSE_FULL = "课程：{course}（名额已满）"
ENROLL_WAITLIST_NUMBER = "候补号：{number}，目前排第{position}位。"

# · reading teams (actions/signup/reading_team.py)
TEAM_PICK_KIND = "请选择按单位还是按地区加入读书团队（点下面的按钮）。"
TEAM_WHICH = "您想加入哪个读书团队？可以按单位加入，也可以按所在地区加入："
TEAM_WHICH_FALLBACK = "按单位还是按地区加入读书团队？"
#: The team buttons: a title naming the team, and the words the button sends back.
TEAM_BY_EMPLOYER = ("单位：{employer}读书会", "单位读书会")
TEAM_BY_DISTRICT = ("地区：{district}职工读书会", "地区读书会")
TEAM_JOINED = "已加入「{team}」✅ 团队负责人会联系您参加活动。"
TEAM_ALREADY = "您已经是「{team}」的成员了 🙂"
TEAM_BOOK = "📖 {book}"

# · the degree-subsidy application (actions/signup/subsidy.py)
SUBSIDY_INTRO = (
    "申请学历提升补贴需要毕业证书：我会依次问毕业学校、专业、毕业时间和证书编号，大约两分钟。说“算了”可以随时退出。"
)
SUBSIDY_ASK_MODEL_WORKER_CLASS = "您读的是劳模先进班吗？"
SUBSIDY_FACT = "（{fact}）"
SUBSIDY_EDIT = "好的。个人信息可以现在修改；学校、专业等毕业信息填错了，请说“算了”后重新申请。"
SUBSIDY_MONTH = "{year}年{month}月"
SUBSIDY_CHECK = (
    "请核对您的学历提升补贴申请：",
    "申请人：{applicant}",
    "毕业学校：{school}",
    "专业：{programme}",
    "毕业时间：{graduated}",
    "证书编号：{certificate}",
    "劳模先进班：{model_worker_class}",
    "确认提交吗？",
)
SUBSIDY_CHECK_FALLBACK = "确认提交补贴申请吗？"
SUBSIDY_SUBMIT_BUTTON: Button = {"title": "确认提交", "payload": "/affirm"}
SUBSIDY_FILED = (
    "补贴申请已提交 ✅",
    "申请号：{number}",
    "状态：审核中",
    "工作人员会核对您的毕业证书（编号 {certificate}），审核结果发“我的申请”就能查到。",
)
SUBSIDY_DUPLICATE = "这本证书（编号 {certificate}）已经有一份申请 {number}（{status}），不用重复申请 🙂"

# · cancelling one of one's records (actions/signup/cancel.py)
RECORD_ENROLLMENT = "「{course}」的{kind}（{number}）"
RECORD_ENROLLMENT_KIND: dict[str, str] = {"waitlisted": "候补", "enrolled": "报名"}
RECORD_CANCEL_ENROLLMENT = "取消 {course}"
RECORD_TEAM = "读书团队「{team}」"
RECORD_LEAVE_TEAM = "退出 {team}"
RECORD_APPLICATION = "学历提升补贴申请（{number}）"
RECORD_WITHDRAW_APPLICATION = "撤回申请 {number}"
CANCEL_NOT_YOURS = "没有在您的记录里找到这一条（可能已经取消了）。"
CANCEL_PICK = "请点选要取消的那一条。"
CANCEL_NOT_ENROLLED = "您没有报名「{course}」，不需要取消。"
CANCEL_NOTHING = "您目前没有可以取消的报名、读书团队或审核中的补贴申请。"
CANCEL_WHICH = "您要取消哪一项？"
CANCEL_NONE_BUTTON: Button = {"title": "都不取消", "payload": "/stop"}
CANCEL_CONFIRM: dict[str, str] = {
    "enrollment": "确认取消{record}吗？取消后名额会让给候补的职工。",
    "team": "确认退出{record}吗？",
    "application": "确认撤回{record}吗？撤回后如需补贴要重新申请。",
}
CANCEL_CONFIRM_FALLBACK = "确认取消吗？"
CANCEL_CONFIRM_BUTTONS: tuple[Button, ...] = (
    {"title": "确认取消", "payload": "/affirm"},
    {"title": "不取消", "payload": "/deny"},
)
CANCEL_LEFT_TEAM = "已退出读书团队「{team}」。想再加入随时告诉我。"
CANCEL_NOT_IN_TEAM = "您已经不在这个读书团队里了。"
CANCEL_WITHDRAWN = "已撤回补贴申请 {number}。需要时可以重新申请。"
CANCEL_ALREADY_DECIDED = "补贴申请 {number} 已经审核完成（{status}），不能撤回。如有疑问请转人工。"
CANCEL_ALREADY_WITHDRAWN = "补贴申请 {number} 已经撤回过了。"
CANCEL_NO_SUCH_APPLICATION = "没有在您的记录里找到这份申请。"
CANCEL_ENROLLMENT_DONE = "已取消「{course}」的报名（{number}）。"
CANCEL_SEAT_PASSED_ON = "名额已按顺序递补给候补的职工。"
CANCEL_ALREADY_CANCELLED = "报名 {number} 已经取消过了。"
CANCEL_NO_SUCH_ENROLLMENT = "没有在您的记录里找到这条报名。"

# · deleting one's data (actions/signup/delete_data.py)
DELETE_NOTHING_STORED = "我们没有保存您的任何登记信息（个人资料、报名、申请都没有）。您在这里发过的对话内容也已删除 🙂"
DELETE_CONFIRM = "确认删除您的全部个人数据吗？将删除："
DELETE_ITEM_PROFILE = "· 个人资料（姓名、手机号、单位、所在区、会员身份）"
DELETE_ITEM_ENROLLMENTS = "· {count}条报名（会被取消，名额让给候补的职工）"
DELETE_ITEM_TEAMS = "· {count}个读书团队的成员身份"
DELETE_ITEM_APPLICATIONS = "· {count}份补贴申请里的个人信息（审核中的会撤回）"
DELETE_WHAT_REMAINS = "删除后无法恢复。报名号、申请号和匿名统计数字会保留，但不再能对应到您。"
DELETE_CONFIRM_FALLBACK = "确认删除您的全部个人数据吗？删除后无法恢复。"
DELETE_CONFIRM_BUTTONS: tuple[Button, ...] = (
    {"title": "确认删除", "payload": "/affirm"},
    {"title": "不删了", "payload": "/deny"},
)
DELETED_PROFILE = "个人资料"
DELETED_ENROLLMENTS = "{count}条报名记录"
DELETED_TEAMS = "{count}个读书团队"
DELETED_APPLICATIONS = "{count}份补贴申请里的个人信息"
DELETED_EVERYTHING = "全部个人信息"
DELETED = (
    "已删除您的{deleted} ✅ 有效的报名已取消，名额让给了候补的职工。"
    "您在这里发过的对话内容也一并删除了。以后再报名时需要重新登记。"
)

# · 我的报名 / 我的数据 / 我的申请 (actions/my_records.py)
RECORDS_NONE = "您还没有报名课程、加入读书团队或申请补贴。想办哪一项？"
RECORDS_HEADING = "您的记录："
RECORDS_ENROLLMENTS = "📚 课程报名"
RECORDS_ENROLLMENT_LINE = "· {course}：{state}，报名号 {number}"
RECORDS_TEAMS = "📖 读书团队"
RECORDS_TEAM_LINE = "· {team}（{day} 加入）"
RECORDS_APPLICATIONS = "📝 学历提升补贴申请"
RECORDS_APPLICATION_LINE = "· {number}：{status}（{day} 提交）"
RECORDS_STAFF_NOTE = "  审核意见：{note}"
RECORDS_HOW_TO_CANCEL = "要取消哪一项，点下面的按钮（取消前会再确认一次）。"
MY_DATA_NONE = "我们还没有保存您的任何个人信息。报名课程、加入读书团队或申请补贴时才需要登记。"
MY_DATA = (
    "我们保存的您的信息：",
    "姓名：{name}",
    "手机号：{phone}",
    "工作单位：{employer}",
    "所在区县：{district}",
    "工会会员：{member}",
    "登记时间：{day}",
)
MY_DATA_NOT_GIVEN = "（未填）"
MY_DATA_ALSO = "另有{counts}（发“我的报名”查看）。"
MY_DATA_ENROLLMENTS = "{count}条报名"
MY_DATA_TEAMS = "{count}个读书团队"
MY_DATA_APPLICATIONS = "{count}份补贴申请"
MY_DATA_PURPOSE = "这些信息只用于工会联系您、办理报名和补贴。"
MY_DATA_BUTTONS: tuple[Button, ...] = (
    {"title": "修改信息", "payload": "/update_profile"},
    MY_RECORDS_BUTTON,
    {"title": "删除我的数据", "payload": "/delete_my_data"},
)
APPLICATION_NOT_FOUND = "没有在您的记录里找到申请 {number}。"
APPLICATIONS_NONE = "您还没有提交过学历提升补贴申请。拿到毕业证后，发“申请学历补贴”就能申请。"
APPLICATION_LINE = "📝 {number}：{status}（{day} 提交）"
APPLICATION_DETAILS = "  {school} {programme}，证书编号 {certificate}"
APPLICATION_PENDING = "  工作人员审核后，结果会在这里显示。"


# ---------------------------------------------------------------- REST channel (Rasa server)

#: What the REST channel (rasa_ext.channels) answers when Rasa produced no reply to a
#: worker's message: the apology, the sign-up caveat, and the way to a person; it is sent
#: with HUMAN_BUTTON. When the worker asked for a person it says HANDOFF_NOTICE["request_human"].
CHANNEL_APOLOGY = NO_TIMELY_REPLY + MAY_BE_SAVED + "其他问题请稍后再试，或者点下面的“转人工”找工作人员。"


# ---------------------------------------------------------------- notices as knowledge (answering.passages)

#: A question no entry answers, answered with an extract of an imported notice.
PASSAGE_ANSWER = "知识库里还没有专门的回答，工会文件里是这样写的：\n{extract}"
#: Under it: which notice, of which date (the worker can look it up).
PASSAGE_SOURCE = "📄 依据：《{title}》（{date}）"


# ---------------------------------------------------------------- conversation context, attribute answers (answering/)
# What the answering logic says about one attribute of an entry, follow-ups, several
# questions in one message. The values themselves (a figure, a place) come from knowledge/.

#: "匠心工坊的参加人数：截至2020年6月共3749人参与。"
ATTRIBUTE_LINE = "{subject}的{label}：{value}。"
ATTRIBUTE_START_DATE = "{date}开课"
ATTRIBUTE_HOW_TO_ENROLL = (
    "在这里发“报名{course}”就能报名：小助手会问您的姓名、手机号、工作单位和所在区县（市），您确认后就登记好了"
)
#: What the knowledge does not say is never guessed.
ATTRIBUTE_NOT_IN_SOURCE = "报道里没有写{subject}的{label}，可以问工作人员。"
#: For a course of a programme that only has the programme's figures.
ATTRIBUTE_PROGRAMME_FIGURES = "{programme}全部课程合计："
FULL_ENTRY_BUTTON = "{title}详情"
#: After the figure asked for, the entry's other figures.
ATTRIBUTE_OTHER_FIGURES = "同一报道还写到：{figures}。"
#: A follow-up ("多少人参加过", "这个呢") with nothing to refer to.
ASK_WHICH_SUBJECT = "您问的是哪一项呢？说完整一点我就能回答，例如“匠心工坊多少人参加过”“PLC编程在哪上课”。"
SIBLINGS_HEADING = "{subject}的同类内容，点一个看详情："
PROGRAMME_COURSES_HEADING = "{subject}的课程，点一个看详情："
OTHER_QUESTION_NOT_FOUND = "“{question}”这个问题我没找到确切答案，可以换个说法再问，或者转人工。"
#: Numbering of the answers when one message asks several questions.
SEVERAL_NUMBERS = ("①", "②", "③", "④")


# ---------------------------------------------------------------- talking inside a form (actions/signup/asides.py)
# A question, a greeting or 我的报名 inside a sign-up is answered as it would be outside;
# then the form's question comes again with a way on and a way out.

#: What the worker is doing in each form, for "好，我们继续{doing}：" (the enrollment form
#: names its course: ENROLL_PURPOSE).
FORM_DOING: dict[str, str] = {
    "profile_form": "填写个人信息",
    "enroll_form": "报名",
    "reading_form": "加入读书团队",
    "subsidy_form": "申请学历提升补贴",
    "cancel_form": "取消记录",
    "delete_form": "删除个人数据",
}
FORM_DOING_DEFAULT = "办理"
#: Heads the question asked again after an aside.
FORM_BACK = "好，我们继续{doing}："
#: Heads the question asked again after 再试一次 (``{example}``: its explanation).
FORM_RETRY = "我们再试一次 🙂 {example}"
#: Under a free-text question asked again: type the answer, or press this (it asks again).
FORM_CONTINUE_BUTTON: Button = {"title": "继续填写", "payload": "/affirm"}
#: The way out of each form (/stop: nothing is saved), by form.
FORM_LEAVE_TITLES: dict[str, str] = {
    "profile_form": "不填了（不保存）",
    "enroll_form": "不报了（不保存）",
    "reading_form": "不加入了（不保存）",
    "subsidy_form": "不申请了（不保存）",
    "cancel_form": "不取消了",
    "delete_form": "不删除了",
}
FORM_LEAVE_DEFAULT = "退出（不保存）"
#: Small talk inside a form, by intent (``{doing}``: FORM_DOING).
FORM_SMALL_TALK: dict[str, str] = {
    "greet": "您好 🙂",
    "thank": "不客气 🙂",
    "goodbye": "好的 👋 {doing}还没有办完；现在退出的话，什么都不会保存。",
    "bot_challenge": "我是工会小助手（机器人）。需要真人帮忙时，随时说“转人工”。",
}
#: Another sign-up (or 删除/修改) asked for while a form is open.
FORM_OTHER_REQUEST = "您正在{doing}，还没有办完。可以先办完这一项；想先办别的，就点“{leave}”，再告诉我要办什么。"

# · asking how to sign up (actions/signup/offer.py): how it goes in the chat, then the offer.
# What the union offers comes from knowledge/ (said first); these say only how the chat works.
HOW_ENROLL = (
    "「{course}」可以直接在这里报名：我会问您的姓名、手机号、工作单位、所在区和是否工会会员"
    "（只需登记一次，以后报名只要确认），确认后就报好了，会给您一个报名号。"
)
HOW_SEATS = "「{course}」现在还剩{left}个名额。"
HOW_FULL = "「{course}」的{capacity}个名额已经报满，可以排候补，有人取消时按顺序递补。"
HOW_HERE = "「{course}」可以直接在这里报名。"
HOW_ENROLL_PROGRAMME = "「{programme}」的课程都可以直接在这里报名：选一门课，登记一次基本信息，确认后就报好了。"
HOW_ENROLL_ANY = (
    "课程可以直接在这里报名：选一门课，登记一次基本信息（姓名、手机号、单位、所在区），"
    "确认后就报好了，会给您一个报名号。"
)
HOW_NOT_HERE = "「{course}」不在小助手里报名；具体办法请留意工会通知，有疑问可以转人工。"
HOW_READING_TEAM = (
    "读书团队可以直接在这里加入：登记一次基本信息后，选择按单位还是按所在地区加入，团队负责人会联系您参加活动。"
)
HOW_SUBSIDY = (
    "学历提升补贴可以直接在这里申请：准备好毕业证书，我会依次问毕业学校、专业、毕业时间和证书编号，大约两分钟；"
    "工作人员审核后，发“我的申请”就能看到结果。"
)
OFFER_ENROLL = "现在帮您报名吗？"
OFFER_ENROLL_YES = "现在报名「{course}」"
OFFER_ENROLL_PICK = "现在帮您报名吗？点下面的课程就开始："
OFFER_READING_TEAM = "现在帮您报名吗？"
OFFER_READING_TEAM_YES = "现在加入读书团队"
OFFER_SUBSIDY = "现在帮您申请吗？"
OFFER_SUBSIDY_YES = "现在申请补贴"
OFFER_NOT_NOW_BUTTON: Button = {"title": "先不用", "payload": "/deny"}


# ---------------------------------------------------------------- scale-out: a hand-off never in limbo, exports
# A ticket the operators' chat could not take (bot/handoff.py): the worker stays with the
# bot, is told so, and hears again once a person has the ticket.
HANDOFF_DEFERRED = (
    "抱歉，现在暂时联系不上工作人员。您的转人工请求已经记下，工作人员那边一恢复，就会在这里为您接通。"
    "在此之前，小助手继续为您服务；不想等了可以发 /cancel。"
)
HANDOFF_DEFERRED_ALREADY = (
    "您的转人工请求已经记下，正在等工作人员那边恢复，接通后会在这里告诉您。不想等了可以发 /cancel。"
)
HANDOFF_READY_LATER = "工作人员现在可以接待您了，已为您转接人工服务。"
HANDOFF_GAVE_UP = "抱歉，人工服务一直没能接通，您的转人工请求已取消。需要时请再说“转人工”。"
HANDOFF_REQUEST_WITHDRAWN = "好的，已取消转人工请求，小助手继续为您服务。"
#: What the ticket's transcript keeps for a photo, file… the worker sent (the file goes to the operators).
RELAY_MEDIA_NOTE = "（{kind}）{caption}"
#: What the ticket's transcript keeps for a photo, file… an operator sent (copied to the worker).
OPERATOR_MEDIA_NOTE = "（图片或文件）"

# 导出我的数据 (python -m scripts.worker_data export): the file a worker receives.
EXPORT_TITLE = "工会小助手：您的个人数据副本"
EXPORT_INTRO = (
    "这是工会小助手保存的与您有关的全部信息（依据《个人信息保护法》第四十五条，您有权查阅、复制）。"
    "其中包括：登记信息、课程报名与候补、读书团队、补贴申请和审核意见、发给您的通知、转人工的对话记录，"
    "以及您与小助手的对话。未能回答的问题只按匿名方式统计，不能对应到您，因此不在其中。"
)


# ---------------------------------------------------------------- WeChat Official Account (wechat/)
# What the WeChat front end says by itself. A WeChat text has no buttons: options are
# numbered and the worker types the number; "结束人工" replaces Telegram's /cancel.
WX_WELCOME = (
    "您好，欢迎关注！我是工会小助手 🤝\n"
    "可以问我补贴政策、课程培训、读书活动，也能帮您报名、申请补贴，例如：\n"
    "· 职工疗休养补贴怎么申请\n"
    "· 有哪些免费课程\n"
    "· 我要报名读书会\n"
    "发“我的报名”查看您的报名和申请，发“转人工”找工作人员。"
)
#: A voice message WeChat could not transcribe (speech recognition off, or it heard nothing).
WX_VOICE_UNREADABLE = "抱歉，没听清您的语音。请直接打字告诉我您的问题，或发“转人工”找工作人员。"
#: Images, stickers, video, location, links, files: what the assistant can do instead.
WX_UNSUPPORTED = {
    "image": "图片",
    "video": "视频",
    "shortvideo": "视频",
    "location": "位置",
    "link": "链接",
    "file": "文件",
}
WX_UNSUPPORTED_REPLY = (
    "收到您的{kind}，不过小助手目前只能看懂文字。请用文字描述您的问题（补贴、课程、读书活动、报名都可以问），"
    "或发“转人工”找工作人员。"
)
WX_STICKER_REPLY = "😊 收到！有什么可以帮您？可以问我补贴、课程、读书活动，或发“转人工”找工作人员。"
#: Under a reply with options (WeChat text has no buttons).
WX_OPTIONS_HINT = "回复数字即可选择"
WX_OPTION_LINE = "{number}. {title}"
#: The words that end a hand-off on WeChat (Telegram's /cancel works too).
WX_END_HANDOFF_WORDS = ("结束人工", "/cancel", "退出人工", "返回小助手")
WX_HANDOFF_STAFFED = "您可以直接在这里留言，工作人员会尽快回复。发送“结束人工”可回到小助手。"
WX_HANDOFF_UNSTAFFED = (
    "现在是非工作时间（工作时间：{hours}），工作人员将于{next_start}起回复您。"
    "您可以先把问题留在这里。发送“结束人工”可回到小助手。"
)
WX_HANDOFF_ALREADY_OPEN = "您已经在人工服务中了，请直接留言，工作人员会在这里回复您。发送“结束人工”可回到小助手。"
WX_HANDOFF_CLOSED_BY_WORKER = "已结束人工服务，您回到了小助手。有问题可以直接问我。"
WX_HANDOFF_CLOSED_BY_OPERATOR = "工作人员已结束本次人工服务，感谢您的耐心。您可以继续向小助手提问。"
#: What a worker's display name is in a ticket: WeChat gives no name without extra rights.
WX_WORKER_NAME = "微信用户{tail}"
#: What the operators read (ticket note, Telegram group, console inbox) when a reply could
#: not reach a WeChat worker.
WX_REPLY_OUTSIDE_WINDOW = (
    "⚠️ 这条回复没能发给微信用户：对方最后一次发消息是在 {last}，已超过微信规定的 48 小时客服消息时限"
    "（公众号只能在用户发消息后 48 小时内回复）。对方下次发消息后才能再回复，或请用其他方式（电话等）联系。"
    "回复原文：{text}"
)
WX_REPLY_UNSUBSCRIBED = "⚠️ 这条回复没能发给微信用户：对方已取消关注公众号。回复原文：{text}"
WX_REPLY_FAILED = "⚠️ 这条回复没能发给微信用户（{error}）。回复原文：{text}"
WX_NEVER = "（没有记录）"
#: A template message (a notification outside the 48-hour window), its fields.
WX_TEMPLATE_TITLE = "工会小助手通知"
WX_TEMPLATE_REMARK = "详情请在公众号里发“我的报名”查看。"
#: The custom menu ``python -m wechat menu`` sets (names of at most 4 characters show whole).
WX_MENU_ASK = "问小助手"
WX_MENU_HELP = "帮助"
WX_MENU_SET = "自定义菜单已更新，手机上重新进入公众号即可看到（最多可能要等 5 分钟）。"
WX_MENU_FAILED = "自定义菜单没能更新：{error}"
#: 导出我的数据 on WeChat: an Official Account cannot send a file (its customer-service
#: messages are text, pictures, voice, video, articles), so the file's content comes as text.
WX_EXPORT_HEADER = (
    "微信公众号不能发送文件，下面是您在工会小助手的个人数据（{exported_at} 导出）的文字版"
    "{summary}。其中有完整的手机号、证书编号等，请勿转发。"
)
WX_EXPORT_SECTION = "【{title}】"
WX_EXPORT_NONE = "（无）"
WX_EXPORT_YES = "是"
#: Record states as the text version shows them (the file keeps the stores' own values).
WX_EXPORT_STATES: dict[str, str] = {
    "enrolled": "已报名",
    "waitlisted": "候补中",
    "cancelled": "已取消",
    "pending": "审核中",
    "approved": "已通过",
    "rejected": "未通过",
    "open": "进行中",
    "closed": "已结束",
}
WX_EXPORT_NO = "否"
WX_EXPORT_CONVERSATION = "【{title}】共 {count} 条，就是您在本公众号里和小助手的聊天记录。"
WX_EXPORT_CUT = "（内容较多，后面的部分没有在微信里列出。）"
WX_EXPORT_FOOTER = (
    "需要完整的数据文件（含全部对话记录），请发“转人工”，工作人员会导出后交给您。想删除这些数据，可以说“删除我的数据”。"
)


# ---------------------------------------------------------------- the staff console's inbox (issue #15)
# What the Telegram operators read in a ticket's topic when a colleague answered or closed
# it in the web console (bot/handoff.mirror_console_action).
CONSOLE_REPLY_OPS = "💻 {author}（在后台回复）：\n{text}"
CONSOLE_CLOSED_BY = "{author}，在后台"


# 导出我的数据 in the chat (actions/data_export.py) and the file's Chinese labels (the staff
# command writes the same file).
EXPORT_FILENAME = "工会小助手_我的数据_{day}.json"
EXPORT_SENT = (
    "您在工会小助手的全部个人数据已整理成文件发给您（{summary}）。"
    "文件含完整的手机号、证书编号等信息，请妥善保存，不要转发到群里。"
    "想删除这些数据，可以说“删除我的数据”。"
)
EXPORT_SUMMARY = (
    "登记信息{profile}，报名 {enrollments} 条，读书团队 {teams} 个，补贴申请 {applications} 份，"
    "转人工 {tickets} 次，对话消息 {messages} 条"
)
EXPORT_HAS = "有"
EXPORT_HAS_NOT = "无"
EXPORT_FAILED = "抱歉，导出数据时系统出了点问题，这次没有生成文件。请稍后再试，或转人工请工作人员帮您导出。"
#: The file's sections and fields (a field not listed keeps its column name).
EXPORT_LABELS: dict[str, str] = {
    "title": "标题",
    "about": "说明",
    "conversation_id": "会话号",
    "exported_at": "导出时间",
    "registry": "报名登记",
    "profile": "登记信息",
    "enrollments": "课程报名",
    "reading_teams": "读书团队",
    "subsidy_applications": "补贴申请",
    "notifications": "发给您的通知",
    "handoff": "转人工",
    "tickets": "转人工记录",
    "messages": "与工作人员的消息",
    "messages_to_you": "待发或已发给您的消息",
    "conversation": "与小助手的对话",
    "sender_id": "会话号",
    "name": "姓名",
    "phone": "手机号",
    "employer": "工作单位",
    "district": "所在区县",
    "union_member": "是否工会会员",
    "created_at": "创建时间",
    "updated_at": "更新时间",
    "enrollment_no": "报名号",
    "course_id": "课程编号",
    "course_name": "课程名称",
    "status": "状态",
    "queue_no": "候补序号",
    "enrolled_at": "报名成功时间",
    "cancelled_at": "取消时间",
    "team_id": "团队编号",
    "display_name": "团队名称",
    "joined_at": "加入时间",
    "application_no": "申请号",
    "school": "学校",
    "programme": "专业",
    "graduation_date": "毕业时间",
    "certificate_no": "证书编号",
    "model_worker_class": "劳模类别",
    "staff_note": "审核意见",
    "decided_at": "审核时间",
    "id": "编号",
    "kind": "类型",
    "ref": "关联记录",
    "text": "内容",
    "delivered_at": "送达时间",
    "reason": "原因",
    "opened_at": "发起时间",
    "posted_at": "转给工作人员时间",
    "answered_at": "工作人员接待时间",
    "closed_at": "结束时间",
    "closed_by": "结束方",
    "transcript": "转人工前的对话",
    "direction": "方向",
    "author": "发送人",
    "ticket_id": "转人工记录编号",
    "who": "说话人",
    "timestamp": "时间",
}
#: Values translated in the file (who spoke, which way a message went).
EXPORT_VALUES: dict[str, str] = {
    "worker": "您",
    "bot": "小助手",
    "from_worker": "您发给工作人员",
    "to_worker": "工作人员发给您",
}
#: The Telegram front end could not send the file (bot/send.py).
DOCUMENT_NOT_SENT = "抱歉，文件没能发出去。请稍后再说一次“导出我的数据”，或转人工请工作人员帮您导出。"
#: The terminal chat shows a file the bot sent.
TERMINAL_DOCUMENT = "小助手：（发来文件 {filename}，{size} 字节）"

# ------------------------------------------------ REST channel hand-off (issue #15, rasa_ext.rest_handoff)
#: A REST worker's name in the ticket when their client sent no ``display_name``.
REST_WORKER_NAME = "网页用户{tail}"
#: What a worker writes to ask for a person again while one is on the conversation.
REST_HANDOFF_REQUEST_WORDS = ("转人工", "人工", "人工客服", "人工服务", "找人工", "我要转人工", "/request_human")
#: The ticket could not be opened (the hand-off store is down…): nothing was handed over.
REST_HANDOFF_FAILED = "抱歉，人工服务暂时无法接通，小助手继续为您服务。请稍后再说“转人工”，或直接问我。"
