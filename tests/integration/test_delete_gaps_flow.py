"""删除我的数据 through the REST channel, the trained model and the action server: the
question the bot could not answer is recorded for staff (anonymously), and once the worker
deletes their data the text they typed is gone from the gaps store too."""

from __future__ import annotations

import pytest

from knowledge.gaps import list_gaps
from tests.integration.test_records_flows import Worker

pytestmark = pytest.mark.slow

QUESTION = "食堂的红烧肉为什么这么咸"


def test_the_unanswered_question_goes_with_the_workers_data(rasa_stack) -> None:
    gaps = rasa_stack.data / "gaps.db"
    worker = Worker(rasa_stack.rasa_url)
    worker.say(QUESTION)
    assert QUESTION in [g.text for g in list_gaps(db_path=gaps)]
    said = worker.say("删除我的数据")
    assert "对话内容也已删除" in said
    assert QUESTION not in [g.text for g in list_gaps(db_path=gaps)]
