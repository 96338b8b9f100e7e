"""The ``document`` custom payload (导出我的数据, actions/data_export.py): the Telegram front end
announces the file and sends it with sendDocument to the worker's own chat; a malformed
payload or a refused upload tells the worker instead of leaving them with nothing."""

from __future__ import annotations

from tests.bot.bot_test_ids import WORKER_ID
from tests.bot.fake_rasa import EXPORT

W = WORKER_ID


async def test_the_file_is_sent_after_its_announcement(tg, rasa, app, worker):
    tg.user_text(worker, "导出我的数据")
    (call,) = await tg.wait_for(lambda: tg.calls_of("sendDocument"))
    assert int(call.params["chat_id"]) == W
    upload = call.params["document_file"]
    assert upload["filename"] == "我的数据.json" and upload["content"].decode("utf-8") == EXPORT
    sent = tg.sent_to(W)
    assert sent[0]["text"] == "您的数据已整理成文件发给您。" and "document" in sent[1]


async def test_a_refused_upload_is_told_to_the_worker(tg, rasa, app, worker):
    tg.fail_next(1, 400, methods="sendDocument")
    tg.user_text(worker, "导出我的数据")
    await tg.wait_for(lambda: any("文件没能发出去" in t for t in tg.texts_to(W)))
    assert not tg.calls_of("sendDocument", ok=True)


async def test_a_payload_without_a_filename_is_told_not_sent(tg, rasa, app, worker):
    tg.user_text(worker, "坏文件")
    await tg.wait_for(lambda: any("文件没能发出去" in t for t in tg.texts_to(W)))
    assert tg.texts_to(W)[0] == "文件来了" and not tg.calls_of("sendDocument", ok=None)
