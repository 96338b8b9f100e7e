"""Answering from imported notices when no knowledge entry answers well.

Staff import notices (``knowledge.documents``); their passages stand in for the FAQ
entries nobody has written yet. Only when no entry answers confidently, and only from a
passage that holds most of what the question is about: the worker gets a short extract
with the notice's name and date, never a guess. Counting the use is the caller's side
effect (the action server counts it, the console's preview does not).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from common import replies, texts
from knowledge import Hit
from knowledge.documents import PassageHit, search

if TYPE_CHECKING:
    from answering.questions import Outcome

#: A passage answers from this score on (see ``knowledge.documents.score_passage``) ...
PASSAGE_SCORE = 60.0
#: ... and when the NLU thinks the question is not the union's business, from this one.
OUT_OF_SCOPE_SCORE = 75.0
#: At least this many of the question's words must be in the passage.
MIN_MATCHED_WORDS = 2


def best_passage(text: str, *, out_of_scope: bool = False) -> PassageHit | None:
    """The passage that answers ``text`` well enough, or None."""
    floor = OUT_OF_SCOPE_SCORE if out_of_scope else PASSAGE_SCORE
    for hit in search(text, limit=1):
        if hit.score >= floor and len(hit.matched) >= MIN_MATCHED_WORDS:
            return hit
    return None


def passage_text(hit: PassageHit) -> str:
    """What the worker reads: the extract, then the notice and its date."""
    return (
        texts.PASSAGE_ANSWER.format(extract=hit.extract)
        + "\n\n"
        + texts.PASSAGE_SOURCE.format(title=hit.document.title, date=hit.document.doc_date)
    )


def passage_answer(text: str, hits: Sequence[Hit], *, out_of_scope: bool = False) -> Outcome | None:
    """An ``Outcome`` with status ``passage`` (``extra["passage_id"]`` for the caller to
    count), or None when no passage answers well."""
    from answering.questions import Outcome, Reply  # the module that calls this one

    found = best_passage(text, out_of_scope=out_of_scope)
    if found is None:
        return None
    buttons = [replies.entry_button(hit.id, hit.title) for hit in hits[:2]]
    reply = Reply(passage_text(found), (*buttons, dict(texts.HUMAN_BUTTON)))
    extra = {
        "passage_id": found.passage.id,
        "document_id": found.document.id,
        "document": found.document.title,
        "score": found.score,
    }
    return Outcome("passage", (reply,), hits=tuple(hits), searched=text, extra=extra)
