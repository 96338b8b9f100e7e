"""Sign-up conversations through the REST channel, the trained model and the action
server, each ending with a look at the rows in ``registry.db``.

Buttons are pressed the way the front end does it (their payload is sent as the
message); values are typed. Some workers are registered or enrolled directly through the
registry to set the scene, and what was saved is read back with the registry's own
functions (the registry owns its file).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlite_utils import Database

from registry import (
    Enrollment,
    enroll,
    get_applications,
    get_course_summary,
    get_enrollment,
    get_enrollments,
    get_teams,
    get_worker,
    open_registry,
    pending_notifications,
    save_worker,
    set_application_status,
)
from tests.support import RestChat, buttons

pytestmark = pytest.mark.slow


class Worker:
    """A worker chatting: ``say`` types, ``press`` clicks a button of the last reply."""

    def __init__(self, rasa_url: str, prefix: str = "it") -> None:
        self.chat = RestChat(rasa_url, f"{prefix}-{uuid.uuid4().hex[:10]}")
        self.sender_id = self.chat.sender_id
        self.last: list[dict[str, Any]] = []

    def send(self, text: str) -> list[dict[str, Any]]:
        self.last = self.chat.send(text, timeout=60)
        return self.last

    def say(self, text: str) -> str:
        return "\n".join(r.get("text", "") for r in self.send(text) if r.get("text"))

    def buttons(self) -> list[dict[str, str]]:
        return buttons(self.last)

    def press(self, title: str) -> str:
        for button in self.buttons():
            if title in button["title"]:
                return self.say(button["payload"])
        raise AssertionError(f"no button {title!r} in {self.buttons()}")

    def custom(self) -> list[dict[str, Any]]:
        return [r["custom"] for r in self.last if "custom" in r]


@pytest.fixture
def db(rasa_stack) -> Iterator[Database]:
    database = open_registry(rasa_stack.data / "registry.db")
    yield database
    database.close()


@pytest.fixture
def worker(rasa_stack) -> Worker:
    return Worker(rasa_stack.rasa_url)


def registered(db: Database, rasa_stack, phone: str = "13812341234", **profile: Any) -> Worker:
    chat = Worker(rasa_stack.rasa_url)
    save_worker(
        db,
        chat.sender_id,
        name=profile.get("name", "张三"),
        phone=phone,
        employer=profile.get("employer", "宁波永发机械有限公司"),
        district=profile.get("district", "北仑区"),
        union_member=True,
    )
    return chat


def enrollments(db: Database, worker: Worker) -> list[Enrollment]:
    """Every enrollment of the worker, cancelled ones too."""
    return get_enrollments(db, worker.sender_id, include_cancelled=True)


# ---------------------------------------------------------------- enrollment


def test_a_new_worker_enrolls_then_a_second_enrollment_is_refused(worker: Worker, db: Database) -> None:
    reply = worker.say("我想报名PLC编程")
    assert "只需登记一次" in reply and "姓名" in reply
    assert "手机号" in worker.say("张伟")
    assert "单位" in worker.say("13812345678")
    assert "区" in worker.say("宁波永发机械有限公司")
    assert len(worker.buttons()) >= 10  # the ten districts
    assert "工会会员" in worker.press("北仑区")
    reply = worker.press("是")
    assert "确认报名「PLC编程」吗" in reply
    assert "138****5678" in reply and "13812345678" not in reply
    reply = worker.press("确认报名")
    assert "报名成功" in reply

    (row,) = enrollments(db, worker)
    assert (row.course_id, row.status) == ("jxgf_plc", "enrolled")
    assert row.enrollment_no in reply
    saved = get_worker(db, worker.sender_id)
    assert (saved.name, saved.phone, saved.district, saved.union_member) == ("张伟", "13812345678", "北仑区", True)

    reply = worker.say("帮我报名PLC编程")
    assert "不用重复报名" in reply and row.enrollment_no in reply
    assert len(enrollments(db, worker)) == 1


def test_enroll_button_and_choosing_among_similar_courses(rasa_stack, db: Database) -> None:
    worker = registered(db, rasa_stack, phone="13812340001")
    reply = worker.say('/enroll_course{"course":"jxgf_robot"}')
    assert "报名「工业机器人」：您是张三（138****0001" in reply
    assert "确认报名「工业机器人」吗" in worker.press("是")
    assert "要修改哪一项" in worker.press("修改信息")
    assert "确认报名「工业机器人」吗" in worker.press("不用改了")
    assert "已取消报名" in worker.press("算了")
    assert enrollments(db, worker) == []

    reply = worker.say("我要报名维修的培训")
    titles = [b["title"] for b in worker.buttons()]
    assert "变频器维修" in titles and "汽车维修" in titles, (reply, titles)
    worker.press("汽车维修")
    worker.press("是")
    assert "报名成功" in worker.press("确认报名")
    (row,) = enrollments(db, worker)
    assert row.course_id == "jxgf_auto_repair"


def test_a_full_course_waitlist_and_a_cancellation_promotes_and_notifies(rasa_stack, db: Database) -> None:
    holder = registered(db, rasa_stack, phone="13812340002")
    holder.say('/enroll_course{"course":"gjsl"}')  # 工匠沙龙, 100 seats in the knowledge base
    holder.press("是")
    assert "报名成功" in holder.press("确认报名")
    summary = get_course_summary(db, "gjsl")
    assert summary is not None and summary.capacity is not None
    seats, taken = summary.capacity, summary.enrolled
    for i in range(seats - taken):  # fill the remaining seats directly
        save_worker(db, f"filler-{i}", name="填充职工", phone=f"137{i:08d}")
        enroll(db, f"filler-{i}", "gjsl", "工匠沙龙", capacity=seats)

    waiting = registered(db, rasa_stack, phone="13812340003", name="李四")
    assert "工匠沙龙" in waiting.say("工匠沙龙是干什么的")
    assert "您是李四" in waiting.press("我要报名")  # the course answer's button
    reply = waiting.press("是")
    assert "名额已经报满" in reply and "第1位" in reply
    reply = waiting.press("排候补")
    assert "候补" in reply and "第1位" in reply
    (row,) = enrollments(db, waiting)
    assert row.status == "waitlisted"

    holder.say("/my_records")
    reply = holder.press("取消 工匠沙龙")
    assert "确认取消「工匠沙龙」的报名" in reply
    reply = holder.press("确认取消")
    assert "已取消" in reply and "递补" in reply

    (promoted,) = enrollments(db, waiting)
    assert promoted.status == "enrolled"
    notes = pending_notifications(db, sender_id=waiting.sender_id)
    assert len(notes) == 1 and notes[0].ref == row.enrollment_no
    assert "工匠沙龙" in notes[0].text
    assert "已报名" in waiting.say("/my_records")


def test_typing_cancel_at_the_confirmation_cancels(rasa_stack, db: Database) -> None:
    """ "确认取消…吗？" answered by typing 取消 (the NLU hears stop) cancels; 算了 keeps it."""
    worker = registered(db, rasa_stack, phone="13812340013")
    first = enroll(db, worker.sender_id, "jxgf_plc", "PLC编程", capacity=30).number
    second = enroll(db, worker.sender_id, "jxgf_inverter", "变频器维修", capacity=30).number

    assert "确认取消「PLC编程」的报名" in worker.say(f'/cancel_record{{"record":"{first}"}}')
    assert "已取消" in worker.say("取消")
    assert "确认取消「变频器维修」的报名" in worker.say(f'/cancel_record{{"record":"{second}"}}')
    assert "已取消" not in worker.say("算了")
    statuses = {e.enrollment_no: e.status for e in enrollments(db, worker)}
    assert statuses == {first: "cancelled", second: "enrolled"}
    assert "PLC" in worker.say("PLC编程是什么"), "the conversation goes on normally afterwards"


def test_stop_in_the_middle_saves_nothing(worker: Worker, db: Database) -> None:
    worker.say("报名工业机器人")
    assert "手机号" in worker.say("王芳")
    assert "单位" in worker.say("13912345678")
    reply = worker.say("算了")
    assert "已取消报名" in reply and "没有保存任何内容" in reply
    assert get_worker(db, worker.sender_id) is None
    assert enrollments(db, worker) == []
    # the next message is an ordinary question again
    assert "依据" in worker.say("劳模先进班的学费谁出")


def test_three_wrong_phone_numbers_offer_a_person(worker: Worker) -> None:
    worker.say("我想报名PLC编程")
    worker.say("张伟")
    first = worker.say("138abc45678")
    assert "只能包含数字" in first
    second = worker.say("138123456789")
    assert "12位" in second and "以1开头" in second  # the longer explanation
    third = worker.say("12345")
    assert "不太好填" in third and "请工会工作人员帮您办理" in third
    assert [b["title"] for b in worker.buttons()] == ["再试一次（看例子）", "退出，不保存", "转人工"]
    worker.press("转人工")
    assert worker.custom() == [{"handoff": {"reason": "form_failures"}}]


# ---------------------------------------------------------------- reading team


def test_join_a_reading_team_and_leave_it(rasa_stack, db: Database) -> None:
    worker = registered(db, rasa_stack, phone="13812340004")
    reply = worker.say("我要加入读书团队")
    assert "您是张三" in reply
    reply = worker.press("是")
    assert "读书团队" in reply
    reply = worker.press("地区")
    assert "已加入「北仑区职工读书会」" in reply
    assert "2026年11月精读书目" in reply  # the book of the stack's day (UH_TODAY), not the machine's
    assert [m.team.team_id for m in get_teams(db, worker.sender_id)] == ["district:北仑区"]

    worker.say("/my_records")
    assert "确认退出" in worker.press("退出 北仑区职工读书会")
    assert "已退出" in worker.press("确认取消")
    assert get_teams(db, worker.sender_id) == []


# ---------------------------------------------------------------- subsidy application


def test_apply_for_the_degree_subsidy_and_check_it(rasa_stack, db: Database) -> None:
    worker = registered(db, rasa_stack, phone="13812340005")
    reply = worker.say("我毕业了 想申请学历补贴")
    assert "毕业证书" in reply and "您是张三" in reply
    assert "学校" in worker.press("是")
    assert "专业" in worker.say("宁波开放大学")
    assert "毕业" in worker.say("会计学（本科）")
    assert "证书编号" in worker.say("2024年6月")
    assert "劳模先进班" in worker.say("106471202405001234")
    reply = worker.press("不是")
    assert "1064**********1234" in reply and "106471202405001234" not in reply
    reply = worker.press("确认提交")
    assert "补贴申请已提交" in reply

    (application,) = get_applications(db, worker.sender_id)
    assert (application.status, application.school, application.graduation_date, application.certificate_no) == (
        "pending",
        "宁波开放大学",
        "2024-06",
        "106471202405001234",
    )
    assert application.application_no in reply

    set_application_status(db, application.application_no, "approved", "材料齐全，补贴下月发放")
    reply = worker.say("我的补贴申请审核得怎么样了")
    assert "已通过" in reply and "补贴下月发放" in reply


def test_a_future_graduation_date_gets_a_second_chance(rasa_stack, db: Database) -> None:
    worker = registered(db, rasa_stack, phone="13812340006")
    worker.say("申请学历补贴")
    worker.press("是")
    worker.say("宁波开放大学")
    worker.say("会计学")
    reply = worker.say("2099年6月")
    assert "不能晚于本月" in reply
    assert "证书编号" in worker.say("2023年7月")
    assert "没有保存任何内容" in worker.say("不填了")
    assert get_applications(db, worker.sender_id) == []


# ---------------------------------------------------------------- profile and data


def test_update_the_phone_number(rasa_stack, db: Database) -> None:
    worker = registered(db, rasa_stack, phone="13812340007")
    reply = worker.say("我换手机号了")
    assert "要修改哪一项" in reply and "138****0007" in reply
    assert "手机号" in worker.press("手机号")
    reply = worker.say("13900001111")
    assert "139****1111" in reply
    assert "已保存" in worker.press("是")
    assert get_worker(db, worker.sender_id).phone == "13900001111"


def test_my_data_shows_the_phone_masked(rasa_stack, db: Database) -> None:
    worker = registered(db, rasa_stack, phone="13812340008")
    reply = worker.say("你们存了我哪些个人信息")
    assert "138****0008" in reply and "13812340008" not in reply


def test_someone_elses_record_cannot_be_cancelled(rasa_stack, db: Database) -> None:
    victim = registered(db, rasa_stack, phone="13812340009")
    number = enroll(db, victim.sender_id, "jxgf_plc", "PLC编程", capacity=30).number
    attacker = registered(db, rasa_stack, phone="13812340010")
    reply = attacker.say(f'/cancel_record{{"record":"{number}"}}')
    assert "没有在您的记录里找到" in reply
    kept = get_enrollment(db, number)
    assert kept is not None and kept.status == "enrolled"


def test_delete_my_data_tells_the_promoted_worker(rasa_stack, db: Database) -> None:
    leaving = registered(db, rasa_stack, phone="13812340011")
    staying = registered(db, rasa_stack, phone="13812340012")
    enroll(db, leaving.sender_id, "it-tiny", "小班试听课", capacity=1)
    waiting = enroll(db, staying.sender_id, "it-tiny", "小班试听课", capacity=1).number
    reply = leaving.say("删除我的数据")
    assert "确认删除您的全部个人数据吗" in reply and "1条报名" in reply
    assert "已删除" in leaving.press("确认删除")
    assert get_worker(db, leaving.sender_id) is None
    assert enrollments(db, leaving) == []
    (note,) = pending_notifications(db, sender_id=staying.sender_id)
    assert note.ref == waiting
    assert "没有保存您的任何登记信息" in leaving.say("把我的信息删掉")
