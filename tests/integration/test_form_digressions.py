"""Every sign-up form lets the worker talk, end to end: the REST channel, the trained
model, the action server and the registry. Questions, small talk, 我的报名 and other
requests inside a form are answered, the form asks again, and it still completes — with
the sign-up saved exactly once (a row count in registry.db). Nobody is stuck: from any
question a way out, and a person, are one message away.
"""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from registry import (
    enroll,
    get_applications,
    get_enrollments,
    get_teams,
    get_worker,
    list_records,
)
from tests.integration import test_records_flows as flows
from tests.integration.test_records_flows import Worker, registered

pytestmark = pytest.mark.slow

#: Said inside forms; each reply must hold its fact (answered as outside the form).
ASIDES: list[tuple[str, str]] = [
    ("劳模班的学费是谁掏", "全额学费"),
    ("谢谢你", "不客气"),
    ("匠心工坊到现在办了几期了", "71期"),
    ("您好", "您好"),
    ("职工书屋一共多少家", "733家"),
]
NOT_AN_ANSWER = ("这好像不是姓名", "只能包含数字", "没有找到这个区县", "请点下面的按钮")

db = flows.db  # the stack's registry, opened as the sign-up flows' tests open it


@pytest.fixture
def worker(rasa_stack) -> Worker:
    return Worker(rasa_stack.rasa_url, prefix="aside")


def aside(worker: Worker, text: str, fact: str, asked: str) -> str:
    """``text`` is answered with ``fact`` and the question comes again with a way out."""
    reply = worker.say(text)
    assert fact in reply, (text, reply)
    assert asked in reply, (text, reply)
    assert not any(word in reply for word in NOT_AN_ANSWER), (text, reply)
    payloads = [b["payload"] for b in worker.buttons()]
    assert "/stop" in payloads or "/deny" in payloads, (text, payloads)
    return reply


def enrollments(db: Database, worker: Worker) -> list:
    return get_enrollments(db, worker.sender_id, include_cancelled=True)


# ---------------------------------------------------------------- enrollment


def test_a_new_worker_enrolls_between_questions_small_talk_and_records(worker: Worker, db: Database) -> None:
    assert "姓名" in worker.say("我想报名PLC编程")
    aside(worker, *ASIDES[0], asked="姓名")
    aside(worker, *ASIDES[1], asked="姓名")
    assert "手机号" in worker.say("张伟")
    aside(worker, *ASIDES[2], asked="手机号")
    assert "单位" in worker.say("13812345678")
    # the question of the issue, where the employer is asked: answered, never saved
    aside(worker, "劳模班学费谁出", "全额学费", asked="单位")
    aside(worker, "我报了哪些", "还没有报名课程", asked="单位")
    assert "区" in worker.say("宁波永发机械有限公司")
    aside(worker, *ASIDES[3], asked="区")
    assert "工会会员" in worker.press("北仑区")
    aside(worker, *ASIDES[4], asked="工会会员")
    assert "确认报名「PLC编程」吗" in worker.press("是")
    aside(worker, "上课要带什么东西吗", "", asked="确认报名「PLC编程」吗")
    assert "报名成功" in worker.press("确认报名")

    (row,) = enrollments(db, worker)
    assert (row.course_id, row.status) == ("jxgf_plc", "enrolled")
    saved = get_worker(db, worker.sender_id)
    assert (saved.name, saved.phone, saved.employer, saved.district) == (
        "张伟",
        "13812345678",
        "宁波永发机械有限公司",
        "北仑区",
    )


def test_two_hundred_off_topic_messages_never_stick_the_form(worker: Worker, db: Database) -> None:
    """The conversation of the issue: every message after "PLC编程课怎么报名" got
    "这好像不是姓名 🙂" two hundred times. Now each is answered, the form waits, and
    it completes afterwards (the tracker rolls over inside the form on the way)."""
    worker.say("帮我报名PLC编程")
    off_topic = [
        ("读书节是什么活动", "读书节"),
        ("谢谢", "不客气"),
        ("你好", "您好"),
        ("劳模班学费谁出", "全额学费"),
        ("一个月读几本", "本"),
    ]
    for i in range(200):
        text, fact = off_topic[i % len(off_topic)]
        reply = worker.say(text)
        assert fact in reply and "姓名" in reply and "这好像不是姓名" not in reply, (i, text, reply)
        assert "不太好填" not in reply, (i, reply)  # never counted as a wrong answer
    for answer in ["王芳", "13912345678", "宁波华达电子有限公司"]:
        worker.say(answer)
    worker.press("海曙区")
    worker.press("是")
    assert "报名成功" in worker.press("确认报名")
    assert len(enrollments(db, worker)) == 1


def test_how_to_enroll_explains_then_yes_starts_the_form(worker: Worker, db: Database) -> None:
    reply = worker.say("PLC编程课怎么报名")
    assert "PLC编程" in reply and "「PLC编程」现在还剩" in reply and reply.endswith("现在帮您报名吗？")
    assert "姓名" not in reply.splitlines()[-1]  # no form yet
    assert get_worker(db, worker.sender_id) is None
    assert "读书节" in worker.say("读书节是什么活动")  # a question in between is just answered
    reply = worker.say("PLC编程课怎么报名")
    reply = worker.say("好的")
    assert "报名「PLC编程」需要先登记" in reply and "姓名" in reply
    worker.say("李娜")
    worker.say("13712345678")
    worker.say("宁波港集团")
    worker.press("镇海区")
    worker.press("不是")
    assert "报名成功" in worker.press("确认报名")
    (row,) = enrollments(db, worker)
    assert row.course_id == "jxgf_plc"


def test_the_offers_button_and_an_explicit_request_start_at_once(worker: Worker, db: Database) -> None:
    assert "现在帮您报名吗" in worker.say("工业机器人的课在哪里报")
    assert "姓名" in worker.press("现在报名")
    assert "已取消报名" in worker.say("算了")
    assert "姓名" in worker.say("我要报名汽车维修")  # explicit: the form at once
    assert enrollments(db, worker) == []


def test_another_sign_up_inside_a_form_says_how_to_leave(worker: Worker) -> None:
    worker.say("我想报名PLC编程")
    worker.say("张伟")
    reply = worker.say("我要加入读书团队")
    assert "您正在报名「PLC编程」，还没有办完" in reply and "手机号" in reply
    assert "已取消报名" in worker.press("不报了")
    assert "现在帮您报名吗" in worker.say("读书团队怎么参加")  # now it can start


def test_after_three_failures_try_again_shows_an_example_and_the_form_completes(rasa_stack, db: Database) -> None:
    worker = registered(db, rasa_stack, phone="13812350001")
    worker.say("申请学历补贴")
    worker.press("是")
    worker.say("宁波开放大学")
    worker.say("会计学（本科）")
    for wrong in ["2099年6月", "2098年1月", "2097年3月"]:
        reply = worker.say(wrong)
    assert "不太好填" in reply
    reply = worker.press("再试一次")
    assert "例如“2024年6月”" in reply and "哪年哪月毕业" in reply
    assert "证书编号" in worker.say("2024年6月")
    worker.say("106471202405007777")
    worker.press("不是")
    assert "补贴申请已提交" in worker.press("确认提交")
    assert len(get_applications(db, worker.sender_id)) == 1


def test_after_three_failures_leave_saves_nothing(worker: Worker, db: Database) -> None:
    worker.say("我想报名PLC编程")
    for wrong in ["123", "456", "789"]:
        reply = worker.say(wrong)
    assert "不太好填" in reply
    assert "没有保存任何内容" in worker.press("退出")
    assert get_worker(db, worker.sender_id) is None and enrollments(db, worker) == []


def test_from_every_question_of_a_form_the_way_out_and_a_person_are_one_message_away(rasa_stack) -> None:
    steps = [
        "我想报名PLC编程",
        "张伟",
        "13812345678",
        "宁波永发机械有限公司",
        '/inform{"district":"海曙区"}',
        "/affirm",
    ]
    for depth in range(1, len(steps) + 1):
        leaving, handing = Worker(rasa_stack.rasa_url, "out"), Worker(rasa_stack.rasa_url, "human")
        for step in steps[:depth]:
            leaving.say(step)
            handing.say(step)
        assert "已取消报名" in leaving.say("算了"), depth
        assert "转接" in handing.say("转人工"), depth
        assert handing.custom() == [{"handoff": {"reason": "request_human"}}], depth


# ---------------------------------------------------------------- the other forms


def test_a_reading_team_after_asking_how_and_asides(worker: Worker, db: Database) -> None:
    reply = worker.say("读书团队怎么参加")
    assert "现在帮您报名吗" in reply
    assert "姓名" in worker.say("好")
    aside(worker, *ASIDES[0], asked="姓名")
    worker.say("陈静")
    aside(worker, *ASIDES[1], asked="手机号")
    worker.say("13612345678")
    worker.say("宁波永发机械有限公司")
    worker.press("鄞州区")
    worker.press("是")
    reply = aside(worker, "读书会一个月读几本书", "每月精读一本书", asked="读书团队")
    reply = worker.press("单位")
    assert "已加入" in reply
    assert len(get_teams(db, worker.sender_id)) == 1


def test_a_subsidy_application_with_questions_at_every_step(rasa_stack, db: Database) -> None:
    worker = registered(db, rasa_stack, phone="13812350002")
    assert "您是张三" in worker.say("我要申请学历补贴")
    aside(worker, *ASIDES[2], asked="您是张三")
    assert "学校" in worker.press("是")
    aside(worker, "补贴的钱什么时候到账", "", asked="学校")
    worker.say("宁波开放大学")
    aside(worker, *ASIDES[1], asked="专业")
    worker.say("机电一体化技术（大专）")
    aside(worker, *ASIDES[4], asked="毕业")
    worker.say("2023年7月")
    aside(worker, *ASIDES[3], asked="证书编号")
    worker.say("106471202307001111")
    aside(worker, "劳模先进班是什么", "劳模先进班", asked="劳模先进班吗")
    worker.press("不是")
    assert "补贴申请已提交" in worker.press("确认提交")
    (application,) = get_applications(db, worker.sender_id)
    assert (application.school, application.programme) == ("宁波开放大学", "机电一体化技术(大专)")


def test_the_profile_form_with_asides_saves_once(worker: Worker, db: Database) -> None:
    assert "姓名" in worker.say("修改我的信息")
    aside(worker, *ASIDES[4], asked="姓名")
    worker.say("刘洋")
    aside(worker, *ASIDES[0], asked="手机号")
    worker.say("15912345678")
    worker.say("宁波东方电器有限公司")
    worker.press("江北区")
    aside(worker, *ASIDES[1], asked="工会会员")
    assert "已保存" in worker.press("是")
    saved = get_worker(db, worker.sender_id)
    assert (saved.name, saved.employer) == ("刘洋", "宁波东方电器有限公司")


def test_cancelling_with_a_question_at_the_confirmation(rasa_stack, db: Database) -> None:
    worker = registered(db, rasa_stack, phone="13812350003")
    number = enroll(db, worker.sender_id, "jxgf_plc", "PLC编程", capacity=30).number
    assert "确认取消「PLC编程」的报名" in worker.say("取消PLC编程的报名")
    aside(worker, "取消了还能再报吗", "", asked="确认取消")
    aside(worker, *ASIDES[1], asked="确认取消")
    assert "已取消" in worker.press("确认取消")
    (row,) = enrollments(db, worker)
    assert (row.enrollment_no, row.status) == (number, "cancelled")


def test_deleting_my_data_with_a_question_at_the_confirmation(rasa_stack, db: Database) -> None:
    worker = registered(db, rasa_stack, phone="13812350004")
    enroll(db, worker.sender_id, "jxgf_plc", "PLC编程", capacity=30)
    assert "确认删除您的全部个人数据吗" in worker.say("删除我的数据")
    reply = aside(worker, "删除以后还能恢复吗", "", asked="确认删除")
    assert "同意就点第一个按钮" in reply  # the confirmation's own explanation
    aside(worker, *ASIDES[0], asked="确认删除")
    assert "已删除" in worker.press("确认删除")
    assert get_worker(db, worker.sender_id) is None
    assert list_records(db, worker.sender_id).empty
