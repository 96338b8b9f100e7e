"""Union Helper knowledge: staff-edited YAML files -> validated, searchable answers.

The action server uses only this API::

    from knowledge import KnowledgeBase, Hit, Course, KnowledgeError, default_kb

    kb = default_kb()                      # cached, thread-safe, picks up edits
    hits = kb.search("劳模班学费谁出", kind="subsidy")
    if hits and hits[0].confident:
        send(hits[0].answer)
    else:
        offer_buttons(hits)                # nearest topics; record a gap

See ``knowledge/README.md`` for the staff workflow and ``knowledge.search`` for
what the scores mean.
"""

from knowledge.kb import KnowledgeBase, default_kb, reset_default_kb
from knowledge.schema import CONFIDENT_SCORE, SAMPLE_NOTE, Course, Entry, Hit, KnowledgeError, MonthlyBook, Problem

__all__ = [
    "CONFIDENT_SCORE",
    "SAMPLE_NOTE",
    "Course",
    "Entry",
    "Hit",
    "KnowledgeBase",
    "KnowledgeError",
    "MonthlyBook",
    "Problem",
    "default_kb",
    "reset_default_kb",
]
