"""What Union Helper answers to a worker's question, decided from the knowledge base.

One pure function per kind of answer, with no Rasa in it: the action server's actions
(``actions/answers.py``) turn an :class:`Outcome` into messages and slot events, and the
staff console's preview (命中测试) calls the very same functions, so staff see exactly what
a worker would read — before and after an edit.

Side effects (recording an unanswered question, handing over to a person) are decided
here but carried out by the caller: the preview must never record a gap.
"""

from answering.context import CONTEXT_TURNS, Context
from answering.questions import (
    KIND_BY_INTENT,
    UNANSWERED_BEFORE_HANDOFF,
    Outcome,
    Reply,
    answer_question,
    list_courses,
)

__all__ = [
    "CONTEXT_TURNS",
    "Context",
    "KIND_BY_INTENT",
    "UNANSWERED_BEFORE_HANDOFF",
    "Outcome",
    "Reply",
    "answer_question",
    "list_courses",
]
