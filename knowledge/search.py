"""Finding the entry a worker means, with a score that says how sure we are.

Two stages:

1. **Candidates** from the SQLite FTS5 index: the question's jieba words, their
   sub-words and character bigrams, OR-ed, ranked by BM25. Terms are taken
   rarest first within a budget of index postings (common terms cost time and
   add nothing), so search stays fast at 100,000 entries.
2. **Rerank** every candidate against its own phrasings (questions, title,
   aliases) with four signals, each 0..100, and keep the best:

   * ``A`` whole-text similarity (rapidfuzz ``ratio``) of the meaning-carrying
     part of the question (stopwords removed) - exact and near-exact questions,
     typos ("plc编成" ~ "plc编程" = 80);
   * ``B`` word overlap: IDF-weighted share of the question's words found in
     the phrasing, combined (F1) with the share of the phrasing they cover -
     reworded questions ("学费劳模班谁出");
   * ``C`` names: an alias/title inside the question ("我想学plc"), the question
     inside a name ("书屋" in "职工书屋", discounted when the question is a word
     found everywhere such as "工会"), or a near match (partial ratio >= 75);
   * ``D`` answer text contains the question's words - capped at 65, so it can
     offer a topic but never answer confidently on its own.

The score therefore means the same for every query: 100 is an exact phrasing,
``CONFIDENT_SCORE`` (70) and above is a confident answer, below that the bot
should offer the hits as "nearest topics". Questions about things the knowledge
does not mention (天气, 股票, 工资) share no weighted words with any entry and
stay well below 70. Hits under ``MIN_SCORE`` are not returned at all.

The ``kind`` hint (the NLU intent's topic) adds ``KIND_BOOST`` to the ranking
only; it never changes a score. It does act as a prior in one place: when the
first hit belongs to the hinted topic (its kind, or tagged with the topic),
matched one of its own phrasings (not just the answer text), scores at least
``HINTED_SCORE`` and leads every other entry by ``LEAD_MARGIN`` in the ranking,
it is confident too. Two independent signals then agree (the trained NLU on the
topic, the knowledge search on the entry) and no other entry comes close. A
first hit outside the hinted topic needs ``OFF_TOPIC_SCORE`` and
``OFF_TOPIC_LEAD``. Without a hint (off-topic questions) only ``CONFIDENT_SCORE``
counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from knowledge.index import ALIAS, TITLE, IndexReader, Phrase
from knowledge.schema import CONFIDENT_SCORE
from knowledge.text import Analysis, Analyzer, idf, normalize

MIN_SCORE = 30.0
KIND_BOOST = 6.0
#: A first hit of the hinted kind that clearly leads is confident from this score on
#: (see the module docstring); calibrated on tests/heldout/dev.yml.
HINTED_SCORE = 45.0
LEAD_MARGIN = 8.0
#: The same for a first hit of another topic than the hinted one (the NLU and the
#: search disagree on the topic, so the search must be surer on its own).
OFF_TOPIC_SCORE = 55.0
OFF_TOPIC_LEAD = 10.0
CANDIDATES = 30
MAX_TERMS = 16
#: Upper bound on index postings BM25 ranks per query (keeps p95 flat as the
#: knowledge grows; at the real size every term fits).
POSTINGS_BUDGET = 3000
ANSWER_SIGNAL_CAP = 65.0
#: Whole-question similarity (question words included) counts a little less than
#: similarity of the meaning-carrying words, so "XX怎么报名" templates do not
#: make unrelated questions look alike.
NORM_RATIO_WEIGHT = 0.95

__all__ = [
    "CONFIDENT_SCORE",
    "MIN_SCORE",
    "KIND_BOOST",
    "HINTED_SCORE",
    "LEAD_MARGIN",
    "Scored",
    "candidate_ids",
    "search_index",
    "course_scores",
]


@dataclass(frozen=True)
class Scored:
    """An entry number with its score, the phrasing that matched, and rank data."""

    n: int
    entry_id: str
    kind: str
    score: float
    matched: str
    order: int
    confident: bool = False


class _Weights:
    """IDF weights of the question's words, and how specific the question is."""

    def __init__(self, q: Analysis, dfs: dict[str, int], n_entries: int):
        self.n = max(n_entries, 1)
        self.w = {word: idf(dfs.get(word, 0), self.n) for word in q.words}
        self.total = sum(self.w.values())
        # A word in a single entry is fully specific; more common words less so.
        self.ref = min(2.5, idf(1, self.n))

    def specificity(self, words: Iterable[str]) -> float:
        seen = [self.w[w] for w in words if w in self.w and self.w[w] > 0]
        if not seen:
            return 0.0
        return min(1.0, max(seen) / self.ref)


def _covered_share(words: Sequence[str], text: str) -> float:
    """Share of ``text``'s characters covered by occurrences of ``words``."""
    if not text:
        return 0.0
    marks = bytearray(len(text))
    for word in words:
        start = text.find(word)
        while start != -1:
            marks[start : start + len(word)] = b"\x01" * len(word)
            start = text.find(word, start + 1)
    return sum(marks) / len(text)


#: A name inside the question gets full credit when its words carry at least this
#: share of the question's (IDF) weight; a common name (市总) in a question about
#: something else (公益培训经费) does not.
NAME_SHARE_FULL = 0.3


def _name_signal(qn: str, pn: str, specificity: float, share: float = 1.0) -> float:
    """Signal C: a name/alias against the whole normalised question.

    ``share``: the share of the question's weight carried by words inside the name.
    """
    if len(pn) < 2 or not qn:
        return 0.0
    if pn in qn:
        return (80.0 + 20.0 * len(pn) / len(qn)) * (0.6 + 0.4 * min(1.0, share / NAME_SHARE_FULL))
    if len(qn) >= 2 and qn in pn:
        return (60.0 + 40.0 * len(qn) / len(pn)) * specificity
    # Typos in longer names ("plc编城"); a three-character name that shares two
    # characters with the question ("劳模班" in "劳模工匠…") only shares a word.
    if len(pn) >= 4 and len(pn) <= len(qn) + 1:
        partial = fuzz.partial_ratio(pn, qn)
        if partial >= 75:
            return partial * (0.75 + 0.25 * min(len(pn), len(qn)) / max(len(qn), len(pn)))
    return 0.0


def score_entry(q: Analysis, weights: _Weights, phrases: Sequence[Phrase], anorm: str) -> tuple[float, str]:
    """Best score of one entry over its phrasings (see the module docstring)."""
    best, matched = 0.0, ""
    q_spec = weights.specificity(q.words)
    for p in phrases:
        a = fuzz.ratio(q.content, p.content)
        a = max(a, NORM_RATIO_WEIGHT * fuzz.ratio(q.norm, p.norm))
        b = 0.0
        if weights.total > 0 and p.content:
            covered = sum(w for word, w in weights.w.items() if word in p.content)
            cq = covered / weights.total
            if cq > 0:
                cp = _covered_share(q.words, p.content)
                b = 100.0 * 2 * cq * cp / (cq + cp) if cp > 0 else 0.0
        c = 0.0
        if p.kind in (ALIAS, TITLE):
            share = 1.0
            if weights.total > 0 and p.norm in q.norm:
                share = sum(w for word, w in weights.w.items() if word in p.norm) / weights.total
            c = _name_signal(q.norm, p.norm, q_spec, share)
        s = max(a, b, c)
        if s > best:
            best, matched = s, p.text
    if weights.total > 0 and anorm and best < ANSWER_SIGNAL_CAP:
        found = [word for word in weights.w if word in anorm]
        if found:
            share = sum(weights.w[w] for w in found) / weights.total
            d = ANSWER_SIGNAL_CAP * share * weights.specificity(found)
            if d > best:
                best, matched = d, ""
    return round(min(best, 100.0), 1), matched


def _terms(q: Analysis, reader: IndexReader) -> tuple[list[str], bool, dict[str, int]]:
    """Index terms worth looking up, rarest first; whether to rank them; word frequencies.

    Rare terms identify an entry, common ones only cost time: terms are taken
    rarest first until their postings would exceed ``POSTINGS_BUDGET``. If even
    the rarest term is that common, the question says little (e.g. "我想了解"),
    so candidates are taken unranked, which is fast.
    """
    wanted = list(dict.fromkeys([*sorted(q.search), *q.grams, *q.words]))
    dfs = reader.doc_freqs(wanted)
    present = sorted((t for t in wanted if dfs.get(t)), key=lambda t: dfs[t])
    terms: list[str] = []
    postings = 0
    for term in present:
        if terms and (postings + dfs[term] > POSTINGS_BUDGET or len(terms) >= MAX_TERMS):
            break
        terms.append(term)
        postings += dfs[term]
    ranked = postings <= POSTINGS_BUDGET
    return terms, ranked, dfs


def candidate_ids(reader: IndexReader, analyzer: Analyzer, text: str, limit: int) -> list[tuple[str, str]]:
    """``(id, kind)`` of entries sharing index terms with ``text`` (no scoring)."""
    q = analyzer.analyze(text, cache=False)
    if not q.norm:
        return []
    terms, ranked, _ = _terms(q, reader)
    return reader.ids(reader.candidates(terms, limit, ranked=ranked))


def search_index(
    reader: IndexReader,
    analyzer: Analyzer,
    text: str,
    *,
    kind: str | Sequence[str] | None = None,
    limit: int = 5,
    also_in_topic: Container[str] = (),
) -> list[Scored]:
    """Score the best candidates for ``text``; best first (kind hint applied).

    ``kind`` is one kind or several (e.g. general questions: faq and organization);
    ``also_in_topic`` the ids of other entries that belong to the hinted topic
    (tagged with it, e.g. the online 职工书屋 course is tagged 读书).
    """
    kinds = (kind,) if isinstance(kind, str) else tuple(kind or ())
    q = analyzer.analyze(text, cache=False)
    if not q.norm:
        return []
    terms, ranked, dfs = _terms(q, reader)
    numbers = reader.candidates(terms, CANDIDATES, ranked=ranked)
    for hinted in kinds:
        if reader.n_by_kind.get(hinted):
            # The hint widens the net for its own kind (never narrows it).
            have = set(numbers)
            numbers.extend(
                n for n in reader.candidates(terms, CANDIDATES // 2, kind=hinted, ranked=ranked) if n not in have
            )
    if not numbers:
        return []
    weights = _Weights(q, dfs, reader.n_entries)
    details = reader.details(numbers)
    scored: list[Scored] = []
    for order, n in enumerate(numbers):
        if n not in details:
            continue
        entry_id, entry_kind, anorm, phrases = details[n]
        score, matched = score_entry(q, weights, phrases, anorm)
        if score >= MIN_SCORE:
            scored.append(Scored(n, entry_id, entry_kind, score, matched, order))

    def rank(s: Scored) -> float:
        return s.score + (KIND_BOOST if in_topic(s) else 0.0)

    def in_topic(s: Scored) -> bool:
        return bool(kinds) and (s.kind in kinds or s.entry_id in also_in_topic)

    scored.sort(key=lambda s: (-rank(s), s.order))
    out = [replace(s, confident=True) if s.score >= CONFIDENT_SCORE else s for s in scored[:limit]]
    if out and not out[0].confident and kinds and _clear_leader(scored, in_topic(scored[0]), rank):
        out[0] = replace(out[0], confident=True)
    return out


def _clear_leader(scored: Sequence[Scored], in_topic: bool, rank: Callable[[Scored], float]) -> bool:
    """Whether the first hit of a hinted search is confident by its lead (module docstring)."""
    top = scored[0]
    if not top.matched:
        return False
    floor, margin = (HINTED_SCORE, LEAD_MARGIN) if in_topic else (OFF_TOPIC_SCORE, OFF_TOPIC_LEAD)
    if top.score < floor:
        return False
    runner_up = max((rank(s) for s in scored[1:]), default=MIN_SCORE)
    return rank(top) - runner_up >= margin


# --- course names -------------------------------------------------------------

_ENROLL_PREFIX = re.compile(r"^(?:我想|我要|想|要|帮我|给我|我)?(?:报名参加|报名|报个|报|参加|学习|学|上)?(?:一下|个)?")
_COURSE_SUFFIX = re.compile(r"(?:的)?(?:课程|课|培训班|培训|学习班|班)$")


def course_query_variants(text: str) -> list[str]:
    """The normalised question, and the same without enrolment words."""
    qn = normalize(text)
    variants = [qn]
    core = _COURSE_SUFFIX.sub("", _ENROLL_PREFIX.sub("", qn))
    if core and core != qn:
        variants.append(core)
    return variants


def name_score(qn: str, pn: str) -> float:
    """How well a course name/alias matches the question, 0..100."""
    if not qn or not pn:
        return 0.0
    if qn == pn:
        return 100.0
    return max(float(fuzz.ratio(qn, pn)), _name_signal(qn, pn, 1.0))


def course_scores(rows: Sequence[tuple[str, str, str]], text: str) -> dict[str, tuple[float, str]]:
    """``{course id: (best score, matched name)}`` over ``(id, text, norm)`` rows."""
    variants = course_query_variants(text)
    best: dict[str, tuple[float, str]] = {}
    for course_id, original, norm in rows:
        score = max(name_score(v, norm) for v in variants)
        if score > best.get(course_id, (-1.0, ""))[0]:
            best[course_id] = (round(score, 1), original)
    return best
