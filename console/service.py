"""What the knowledge pages do, apart from HTTP: check and save an edit (keeping a
version), preview a question against saved or unsaved knowledge.

Everything goes through the knowledge package's public functions: the validator, the
round-trip writer, ``KnowledgeBase`` and ``answering.answer_question`` — the console
duplicates none of their rules.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from answering import Outcome, answer_question
from common import settings
from common.settings import Settings
from knowledge import KnowledgeBase, KnowledgeError, editing
from knowledge import documents as kdocs
from knowledge.loader import load
from knowledge.schema import Problem

logger = logging.getLogger("console")


def config() -> Settings:
    """The settings now (re-read each time: tests point them elsewhere)."""
    return settings.load()


@dataclass
class SaveResult:
    ok: bool
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    message: str = ""
    conflict: bool = False
    digest: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    other_errors: bool = False  # the files were already broken elsewhere


def lock_path(cfg: Settings) -> Path:
    return cfg.data_dir / "knowledge-edit.lock"


def _check(cfg: Settings, file: str, new_text: str) -> tuple[list[Problem], list[Problem], bool]:
    """(new errors, problems of the result, whether errors remain elsewhere)."""
    with tempfile.TemporaryDirectory(prefix="uh-console-") as tmp:
        after = editing.check_edit(
            cfg.knowledge_dir, file, new_text, workdir=Path(tmp) / "k", registry_path=cfg.registry_db, clock=cfg.clock
        )
    before = load(cfg.knowledge_dir, registry_path=cfg.registry_db, clock=cfg.clock)
    errors = editing.new_errors(before.problems, after.problems)
    return errors, after.problems, bool(after.errors) and not errors


def change(kind: str, key: str | None, values: Mapping[str, Any] | None, seen_digest: str) -> SaveResult:
    """Validate and, if valid, save one change (``key`` None: a new item; ``values``
    None: delete). Refused when the file changed since ``seen_digest`` was read."""
    cfg = config()
    file = editing.FILE_BY_KIND[kind]
    try:
        text = editing.read_text(cfg.knowledge_dir, file)
        if editing.digest(text) != seen_digest:
            raise editing.Conflict(
                f"{file} 在您打开页面之后已经被修改过（可能是同事在后台保存了，或有人直接改了文件），"
                "这次没有保存，以免覆盖别人的修改。您填写的内容还在下面，请看一下最新内容后再保存。"
            )
        before = editing.find_in(text, kind, key) if key is not None else None
        new_key = key if key is not None else str((values or {}).get(editing.key_field(kind)) or "")
        new_text = editing.apply_edit(text, kind, key, values)
    except editing.Conflict as error:
        return SaveResult(False, message=str(error), conflict=True)
    except editing.EditError as error:
        return SaveResult(False, message=str(error))
    errors, problems, other = _check(cfg, file, new_text)
    label = f"书目 {new_key}" if kind == editing.BOOK else new_key
    warnings = [p for p in problems if not p.is_error and p.entry == label]
    if errors:
        return SaveResult(False, errors=errors, warnings=warnings, message="这次修改没有保存：请按提示改好后再保存。")
    try:
        new_digest = editing.save(cfg.knowledge_dir / file, new_text, seen_digest, lock_path=lock_path(cfg))
    except editing.Conflict as error:
        return SaveResult(False, message=str(error), conflict=True)
    after = editing.find_in(new_text, kind, new_key) if values is not None else None
    return SaveResult(
        True,
        warnings=warnings,
        digest=new_digest,
        before=editing.json_values(before),
        after=editing.json_values(after),
        other_errors=other,
    )


# ---------------------------------------------------------------- preview (命中测试)

_kb_lock = threading.Lock()
_kb: dict[tuple[str, str], KnowledgeBase] = {}


def saved_kb(cfg: Settings) -> KnowledgeBase:
    """The knowledge base over the real files, kept between requests (it reloads edits
    like the bot's). Its index is the console's own copy, so the bot's is never touched."""
    index = cfg.data_dir / "console-cache" / "knowledge_index.db"
    key = (str(cfg.knowledge_dir), str(index))
    with _kb_lock:
        kb = _kb.get(key)
        if kb is None:
            kb = KnowledgeBase.open(cfg.knowledge_dir, index, registry_path=cfg.registry_db, clock=cfg.clock)
            _kb[key] = kb
    kb.refresh(force=True)
    return kb


@dataclass
class Intent:
    name: str | None
    confidence: float = 0.0
    entities: dict[str, str] = field(default_factory=dict)
    error: str = ""


def parse_intent(text: str, cfg: Settings) -> Intent:
    """What the running Rasa server's NLU makes of ``text`` (``/model/parse``), or why
    it could not be asked."""
    params = {"token": cfg.rasa_token} if cfg.rasa_token else {}
    try:
        response = httpx.post(f"{cfg.rasa_url}/model/parse", params=params, json={"text": text}, timeout=3.0)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as error:
        logger.info("Rasa /model/parse unavailable: %s", error)
        return Intent(
            None, error="小助手的语言理解服务（Rasa）现在没有运行，下面按“不分话题”预览，实际回答可能略有不同。"
        )
    intent = data.get("intent") or {}
    entities: dict[str, str] = {}
    for item in data.get("entities") or []:
        name, value = item.get("entity"), item.get("value")
        if name in ("kb_id", "course") and value and name not in entities:
            entities[name] = str(value)
    return Intent(intent.get("name"), float(intent.get("confidence") or 0.0), entities)


@dataclass
class Preview:
    question: str
    outcome: Outcome | None
    intent: Intent
    passages: list[kdocs.PassageHit]
    problems: list[Problem] = field(default_factory=list)
    error: str = ""


def preview(
    question: str, *, kind: str | None = None, key: str | None = None, values: Mapping[str, Any] | None = None
) -> Preview:
    """What the bot would answer to ``question`` — with the saved knowledge, or (with
    ``kind`` and ``values``) as if that edit were saved, on a temporary copy."""
    cfg = config()
    intent = parse_intent(question, cfg)
    passages = kdocs.search(question, limit=3, db_path=cfg.documents_db)
    try:
        if values is None or kind is None:
            kb = saved_kb(cfg)
            outcome = answer_question(kb, question, intent=intent.name, entities=intent.entities)
            return Preview(question, outcome, intent, passages)
        file = editing.FILE_BY_KIND[kind]
        new_text = editing.apply_edit(editing.read_text(cfg.knowledge_dir, file), kind, key, values)
        with tempfile.TemporaryDirectory(prefix="uh-preview-") as tmp:
            copy = editing.check_edit(
                cfg.knowledge_dir,
                file,
                new_text,
                workdir=Path(tmp) / "k",
                registry_path=cfg.registry_db,
                clock=cfg.clock,
            )
            if copy.errors:
                return Preview(
                    question, None, intent, passages, copy.problems, "这次修改有错误，小助手不会用它；请先改好。"
                )
            kb = KnowledgeBase.open(
                Path(tmp) / "k", Path(tmp) / "index.db", registry_path=cfg.registry_db, clock=cfg.clock
            )
            outcome = answer_question(kb, question, intent=intent.name, entities=intent.entities)
            kb.snapshot.reader.close()
        return Preview(question, outcome, intent, passages, copy.problems)
    except (KnowledgeError, editing.EditError) as error:
        return Preview(question, None, intent, passages, error=str(error))
