"""A half-filled form survives a restart of both servers: the tracker (active form,
requested slot, answers so far) is in tracker.db, so the next message is taken as the
answer to the question asked before the restart.

Runs its own stack on its own data directory, so the session's ``rasa_stack`` (and the
tests using it) are not disturbed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from registry import get_enrollments, get_worker, open_registry
from tests.support import RestChat, stack_on_free_ports

pytestmark = pytest.mark.slow


def test_the_profile_form_continues_after_a_restart(tmp_path: Path) -> None:
    stack = stack_on_free_ports(tmp_path, "restart-token")
    chat = RestChat(stack.rasa_url, "tg-restart-1")
    try:
        stack.start(timeout=300)
        assert "姓名" in chat.say("我想报名PLC编程")
        assert "手机号" in chat.say("张伟")

        stack.stop()
        assert not stack.rasa_ready() and not stack.actions_ready()
        stack.start(timeout=300)

        # the answer to the question asked before the restart
        assert "单位" in chat.say("13812345678")
        assert "区" in chat.say("宁波永发机械有限公司")
        assert "工会会员" in chat.say('/inform{"district":"海曙区"}')
        assert "确认报名「PLC编程」吗" in chat.say("/affirm")
        assert "报名成功" in chat.say("/affirm")
    finally:
        stack.stop()

    db = open_registry(tmp_path / "var" / "registry.db")
    try:
        worker = get_worker(db, "tg-restart-1")
        assert worker is not None and (worker.name, worker.phone) == ("张伟", "13812345678")
        (row,) = get_enrollments(db, "tg-restart-1")
        assert (row.course_id, row.status) == ("jxgf_plc", "enrolled")
    finally:
        db.close()
