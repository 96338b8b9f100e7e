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

# ---------------------------------------------------------------- REST channel (Rasa server)

#: What the REST channel (rasa_ext.channels) answers when Rasa produced no reply to a
#: worker's message: the apology, the sign-up caveat, and the way to a person; it is sent
#: with HUMAN_BUTTON. When the worker asked for a person it says HANDOFF_NOTICE["request_human"].
CHANNEL_APOLOGY = NO_TIMELY_REPLY + MAY_BE_SAVED + "其他问题请稍后再试，或者点下面的“转人工”找工作人员。"
