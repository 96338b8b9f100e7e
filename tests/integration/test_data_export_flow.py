"""导出我的数据 through the REST channel, the trained model and the action server: the
worker who signed up in the chat gets the text and the file (the ``document`` custom
payload) with their own profile, sign-up and conversation, nobody else's; inside a form
the file comes too and the form goes on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlite_utils import Database

from registry import open_registry, save_worker
from tests.integration.test_records_flows import Worker

pytestmark = pytest.mark.slow


@pytest.fixture
def db(rasa_stack) -> Iterator[Database]:
    database = open_registry(rasa_stack.data / "registry.db")
    yield database
    database.close()


def _document(worker: Worker) -> dict[str, Any]:
    (document,) = [c["document"] for c in worker.custom() if isinstance(c, dict) and "document" in c]
    return json.loads(document["content"])


def test_a_worker_exports_their_data_after_signing_up(rasa_stack, db: Database) -> None:
    other = Worker(rasa_stack.rasa_url)
    save_worker(db, other.sender_id, name="孙九", phone="13955556666", employer="别家公司", district="鄞州区")
    worker = Worker(rasa_stack.rasa_url)
    save_worker(
        db, worker.sender_id, name="张三", phone="13812347777", employer="宁波永发机械有限公司", district="北仑区"
    )
    worker.say("我想报名PLC编程")
    worker.press("是")
    assert "报名成功" in worker.press("确认报名")

    said = worker.say("导出我的数据")
    assert "报名 1 条" in said and "不要转发到群里" in said
    content = _document(worker)
    assert content["报名登记"]["登记信息"]["手机号"] == "13812347777"
    assert [e["课程编号"] for e in content["报名登记"]["课程报名"]] == ["jxgf_plc"]
    typed = [m["内容"] for m in content["与小助手的对话"] if m["说话人"] == "您"]
    assert typed[0] == "我想报名PLC编程"
    text = json.dumps(content, ensure_ascii=False)
    assert other.sender_id not in text and "13955556666" not in text and "孙九" not in text


def test_inside_a_form_the_file_comes_and_the_form_goes_on(rasa_stack, db: Database) -> None:
    worker = Worker(rasa_stack.rasa_url)
    assert "姓名" in worker.say("我想报名PLC编程")
    said = worker.say("导出我的数据")
    assert "报名 0 条" in said and "姓名" in said  # the file, then the question again
    assert _document(worker)["与小助手的对话"][0]["内容"] == "我想报名PLC编程"
    assert "手机号" in worker.say("张伟")  # the form goes on
