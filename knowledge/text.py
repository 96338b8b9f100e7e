"""Turning Chinese (and mixed Latin) text into things we can match.

Workers type short, colloquial questions on a phone: full-width letters, missing
punctuation, "请问…吗". Both the knowledge phrasings and the questions go through
the same :func:`normalize` and the same :class:`Analyzer`, so they meet in the
middle.

jieba splits Chinese into words. Each knowledge snapshot gets its own tokenizer
with a domain dictionary (course names, aliases, programme names) so that
"匠心工坊" or "PLC编程" stay whole; the big base dictionary is loaded once per
process and shared (each snapshot only adds an overlay of its own words). Analyses are cached across reloads: adding
a dictionary word can only change how texts *containing* that word are split
(the total frequency is kept constant), so only those are redone.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import jieba

jieba.setLogLevel(logging.WARNING)

#: Frequency given to domain words; high enough that jieba keeps them whole.
USER_WORD_FREQ = 200_000

# Polite openings and closing particles carry no meaning for matching.
_LEADING = re.compile(
    r"^(?:你好|您好|哈喽|小助手|请问一下|请问|麻烦问一下|麻烦问下|麻烦|我想问一下|我想问下|我想问|想问一下|想问下|问一下|问下|打听一下|咨询一下|咨询)+"
)
_TRAILING = re.compile(r"(?:啊|呀|呢|吗|嘛|吧|哈|哦|啦|呐|谢谢你|谢谢|谢了)+$")
_KEEP = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9a-z]+")

#: Words that say how something is asked, not what is asked about.
STOPWORDS: frozenset[str] = frozenset(
    """
    的 了 吗 呢 吧 啊 呀 哦 嘛 么 啦 哈 我 你 您 他 她 它 我们 你们 他们 咱 咱们 俺 是 有 在 和 与 及 或 或者
    也 都 就 还 要 想 想要 需要 能 会 可以 可不可以 能不能 会不会 有没有 是不是 没有 不 没 怎么 怎样 怎么样
    如何 什么 啥 哪些 哪个 哪里 哪儿 哪 多少 几 谁 请问 请 问 一下 一个 这个 那个 这 那 这些 那些 个 给 让 被 把
    对 跟 去 来 到 从 为 得 地 着 过 又 很 吗 知道 告诉 能否 是否 可否 下 么样 呗 咋 咋样 咋办 怎么办 办 些 应该
    时候 什么时候 啥时候 几时 何时 几点 哪天 多久 一般
    """.split()
)


#: Everyday words for what the knowledge (and the source article) calls otherwise.
#: Applied to phrasings and questions alike (:meth:`Analyzer.analyze`), so both meet
#: on the article's word. Only words of two or more characters that mean the same.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "学历": ("专升本", "成人本科", "成人大专", "成人高考", "自考本科", "函授", "大专", "本科"),
    "毕业证": ("文凭", "毕业证书"),
    "劳模": ("劳动模范",),
    "企业": ("车间", "工厂", "厂里", "厂子"),
    "难点": ("难题",),
    "线上": ("网上", "在线"),
}
_SYNONYM_OF = {variant: word for word, variants in SYNONYMS.items() for variant in variants}
_SYNONYM_RE = re.compile("|".join(sorted(map(re.escape, _SYNONYM_OF), key=len, reverse=True)))


# English and pinyin words workers type ("Is there any PLC training?", "PLC peixun zai na"),
# in the knowledge's Chinese; English filler words are dropped. Only Latin runs are looked
# up, whole, so "app" or "plc" in a Chinese phrasing stay as they are.
LATIN_PHRASES: dict[str, str] = {
    "how much": "多少钱",
    "how many people": "多少人",
    "how many": "多少",
    "how to join": "怎么报名",
    "how to apply": "怎么申请",
    "how to register": "怎么报名",
    "how do i join": "怎么报名",
    "how can i join": "怎么报名",
    "sign up": "报名",
    "signup": "报名",
    "who teaches": "谁教",
    "model worker": "劳模",
    "model workers": "劳模",
    "industrial robot": "工业机器人",
    "car repair": "汽车维修",
    "auto repair": "汽车维修",
    "reading club": "读书团队",
    "reading team": "读书团队",
    "reading group": "读书团队",
    "book club": "读书会",
    "reading festival": "读书节",
    "reading room": "职工书屋",
    "workers library": "职工书屋",
    "sports league": "文体联赛",
    "walking event": "健步走",
    "frequency converter": "变频器",
    "mold design": "模具设计",
    "mould design": "模具设计",
    "degree subsidy": "学历补贴",
    "tuition fee": "学费",
    "cultural palace": "文化宫",
    "jiangxin gongfang": "匠心工坊",
    "gonghui youyue": "工惠有约",
    "gongyi lexue": "公益乐学",
    "shi shenme": "是什么",
    "zai nali": "在哪里",
    "zai na": "在哪",
    "shenme shihou": "什么时候",
    "duoshao qian": "多少钱",
    "duoshao ren": "多少人",
    "took part": "参加",
    "take part": "参加",
    "taken part": "参加",
}
LATIN_WORDS: dict[str, str] = {
    # English
    "training": "培训",
    "trainings": "培训",
    "course": "课程",
    "courses": "课程",
    "class": "课",
    "classes": "课",
    "lesson": "课",
    "lessons": "课",
    "robot": "机器人",
    "robots": "机器人",
    "robotics": "机器人",
    "subsidy": "补贴",
    "subsidies": "补贴",
    "allowance": "补贴",
    "grant": "补贴",
    "tuition": "学费",
    "fee": "费用",
    "fees": "费用",
    "cost": "费用",
    "price": "多少钱",
    "free": "免费",
    "degree": "学历",
    "diploma": "学历",
    "reading": "读书",
    "read": "读书",
    "books": "书",
    "book": "书",
    "library": "书屋",
    "festival": "节",
    "union": "工会",
    "sports": "文体",
    "sport": "文体",
    "league": "联赛",
    "walk": "健步走",
    "walking": "健步走",
    "hiking": "健步走",
    "register": "报名",
    "enroll": "报名",
    "enrol": "报名",
    "join": "参加",
    "apply": "申请",
    "where": "在哪",
    "when": "什么时候",
    "who": "谁",
    "teacher": "老师",
    "teachers": "老师",
    "contact": "联系方式",
    "phone": "电话",
    "telephone": "电话",
    "online": "线上",
    "welding": "焊接",
    "homestay": "民宿",
    "inverter": "变频器",
    "fixture": "工装夹具",
    "fixtures": "工装夹具",
    "jig": "夹具",
    "mold": "模具",
    "mould": "模具",
    "tailoring": "服装定制",
    "tailor": "服装定制",
    "programming": "编程",
    "skill": "技能",
    "skills": "技能",
    "craftsman": "工匠",
    "craftsmen": "工匠",
    "salon": "沙龙",
    "schedule": "时间",
    "time": "时间",
    "address": "地址",
    "location": "地点",
    "people": "人",
    "participants": "参加人数",
    "start": "开始",
    "starts": "开始",
    "begin": "开始",
    "joined": "参加",
    "attended": "参加",
    "attend": "参加",
    "sessions": "期",
    # pinyin
    "peixun": "培训",
    "kecheng": "课程",
    "butie": "补贴",
    "baoming": "报名",
    "dushu": "读书",
    "xueli": "学历",
    "laomo": "劳模",
    "jiqiren": "机器人",
    "qixiu": "汽修",
    "shuwu": "书屋",
    "jianbuzou": "健步走",
    "gonghui": "工会",
    "mianfei": "免费",
    "xuefei": "学费",
    "shenqing": "申请",
    "zaina": "在哪",
    "zainali": "在哪里",
    "duoshaoqian": "多少钱",
    "minsu": "民宿",
    "muju": "模具",
    "bianpinqi": "变频器",
    "liansai": "联赛",
    "dushujie": "读书节",
    "dushutuandui": "读书团队",
    "tuandui": "团队",
    "jiangxingongfang": "匠心工坊",
    "gonghuiyouyue": "工惠有约",
    "gongyilexue": "公益乐学",
    "gongjiang": "工匠",
    "shang": "上",
    "ma": "吗",
    "ne": "呢",
    "shenmeshihou": "什么时候",
}
ENGLISH_FILLER: frozenset[str] = frozenset(
    """
    is are am was were be been there any a an the of for to in on at do does did i we you my our your it its
    this that these those what which how can could would will shall should please want wanna like about with
    and or me us have has get got some is there s any there's where's what's hi hello dear thanks thank
    """.split()
)
_LATIN_PHRASE_RE = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, LATIN_PHRASES), key=len, reverse=True)) + r")\b"
)
_LATIN_RUN = re.compile(r"[a-z]+(?:'[a-z]+)?")

# Traditional characters workers type (Hong Kong / Taiwan keyboards) that the knowledge
# writes in simplified form: only those that occur in its questions.
_TRADITIONAL = str.maketrans(
    "勞學費誰書職會補貼課報還們這個麼時間參與區縣寧裡網電話號碼習機維車點開講師資錢聯賽動讀節團隊體訓練辦導員廣視臺廠產業級優惠給領證"
    "請問嗎幾哪裏難題專門場數單據處應該種類費麼樣條歲產線邊東門歡營務員館為於從興實業權認證齊頒獎鄉鎮內兩萬億總項藝術歷"
    "統計劃變頻器裝夾製設計員題讓認識覺見現發態銷賬戶註冊碼錄號鐘週與麥廳廣場樂學種"
    "务约约园圆",
    "劳学费谁书职会补贴课报还们这个么时间参与区县宁里网电话号码习机维车点开讲师资钱联赛动读节团队体训练办导员广视台厂产业级优惠给领证"
    "请问吗几哪里难题专门场数单据处应该种类费么样条岁产线边东门欢营务员馆为于从兴实业权认证齐颁奖乡镇内两万亿总项艺术历"
    "统计划变频器装夹制设计员题让认识觉见现发态销账户注册码录号钟周与麦厅广场乐学种"
    "务约约园圆",
)


def translate_latin(text: str) -> str:
    """English and pinyin words of a (lower-case) text in the knowledge's Chinese."""
    if not re.search(r"[a-z]", text):
        return text
    text = _LATIN_PHRASE_RE.sub(lambda m: f" {LATIN_PHRASES[m.group(0)]} ", text)

    def word(match: re.Match[str]) -> str:
        w = match.group(0)
        if w in LATIN_WORDS:
            return f" {LATIN_WORDS[w]} "
        return " " if w in ENGLISH_FILLER or w.split("'")[0] in ENGLISH_FILLER else f" {w} "

    return _LATIN_RUN.sub(word, text)


def canonical(norm: str) -> str:
    """A normalised text with everyday words replaced by the knowledge's words."""
    return _SYNONYM_RE.sub(lambda m: _SYNONYM_OF[m.group(0)], norm)


@functools.lru_cache(maxsize=200_000)
def normalize(text: str) -> str:
    """Canonical form used for exact and fuzzy comparison.

    NFKC (full-width -> half-width), lower case, only letters/digits/CJK kept,
    polite openings and closing particles removed.
    """
    text = unicodedata.normalize("NFKC", text or "").lower().translate(_TRADITIONAL)
    text = translate_latin(text)
    text = _KEEP.sub("", text)
    stripped = _TRAILING.sub("", _LEADING.sub("", text))
    return stripped or text


def fts_tokens(text: str) -> list[str]:
    """Character bigrams of Chinese runs and whole Latin/digit runs.

    These give the full-text index recall for typos and unknown words that
    jieba would split differently ("工业机械人" still shares "工业").
    """
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        if run[0] < "\u3400":  # latin / digits
            out.append(run)
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


@dataclass(frozen=True)
class Analysis:
    """A text prepared for matching.

    ``norm``: normalised text; ``words``: jieba words without stopwords;
    ``content``: the words joined (the meaning-carrying part of the text, or
    ``norm`` when every word is a stopword); ``search``: words plus their
    sub-words (jieba's search mode); ``grams``: index tokens from :func:`fts_tokens`.
    """

    norm: str
    words: tuple[str, ...]
    content: str
    search: frozenset[str]
    grams: tuple[str, ...]


_base_lock = threading.Lock()
_base_tokenizer: jieba.Tokenizer | None = None


def _base() -> jieba.Tokenizer:
    """The process-wide jieba tokenizer with only the stock dictionary."""
    global _base_tokenizer
    with _base_lock:
        if _base_tokenizer is None:
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _base_tokenizer = tokenizer
        return _base_tokenizer


def domain_words(texts: Iterable[str]) -> frozenset[str]:
    """Normalised dictionary words (names, aliases) worth keeping whole."""
    words = set()
    for text in texts:
        word = normalize(text)
        if 2 <= len(word) <= 16:
            words.add(word)
    return frozenset(words)


class _OverlayFreq(dict):
    """jieba's word-frequency table: domain words over the shared base table.

    jieba reads ``FREQ`` only with ``in``, ``[]`` and ``get``; answering those
    from the overlay first and the base second gives each snapshot its own
    dictionary without copying the base (~50 MB).
    """

    __slots__ = ("base",)

    def __init__(self, base: dict[str, int]):
        super().__init__()
        self.base = base

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.base

    def __getitem__(self, key: str) -> int:
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            return self.base[key]

    def get(self, key: str, default: int | None = None) -> int | None:  # type: ignore[override]
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        return self.base.get(key, default)


class Analyzer:
    """jieba with a domain dictionary, plus a cache of analyses.

    Immutable after construction as far as callers are concerned (the cache is
    an optimisation); safe to share between threads.
    """

    _MAX_CACHE = 400_000

    def __init__(self, user_words: Iterable[str] = (), previous: Analyzer | None = None):
        base = _base()
        self.user_words = frozenset(user_words)
        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ = _OverlayFreq(base.FREQ)
        tokenizer.total = base.total
        tokenizer.initialized = True
        for word in sorted(self.user_words):
            tokenizer.add_word(word, USER_WORD_FREQ)
        # Keep the total unchanged so that words elsewhere keep their odds:
        # then only texts containing a changed word can be split differently.
        tokenizer.total = base.total
        self._tokenizer = tokenizer
        self._cache: dict[str, Analysis] = {}
        if previous is not None:
            changed = self.user_words ^ previous.user_words
            if not changed:
                self._cache = dict(previous._cache)
            else:
                pattern = re.compile("|".join(re.escape(w) for w in sorted(changed, key=len, reverse=True)))
                self._cache = {t: a for t, a in previous._cache.items() if not pattern.search(a.norm)}

    def words(self, norm: str) -> list[str]:
        """jieba's precise segmentation of an already normalised text."""
        return [w for w in self._tokenizer.cut(norm, HMM=True) if w.strip()]

    def analyze(self, text: str, *, cache: bool = True) -> Analysis:
        """Analyse ``text``; cached unless ``cache`` is False (one-off queries)."""
        found = self._cache.get(text) if cache else None
        if found is not None:
            return found
        norm = canonical(normalize(text))
        all_words = self.words(norm)
        words = tuple(w for w in all_words if w not in STOPWORDS)
        search = set(words)
        freq = self._tokenizer.FREQ
        for word in words:
            if len(word) > 2:
                search.update(word[i : i + 2] for i in range(len(word) - 1) if freq.get(word[i : i + 2]))
            if len(word) > 3:
                search.update(word[i : i + 3] for i in range(len(word) - 2) if freq.get(word[i : i + 3]))
        analysis = Analysis(
            norm=norm,
            words=words,
            content="".join(words) or norm,
            search=frozenset(search),
            grams=tuple(dict.fromkeys(fts_tokens(norm))),
        )
        if cache:
            if len(self._cache) >= self._MAX_CACHE:
                self._cache.clear()
            self._cache[text] = analysis
        return analysis


def idf(df: int, n: int) -> float:
    """Inverse document frequency; unseen words get the highest weight."""
    return math.log((n + 1) / (df + 0.5))
