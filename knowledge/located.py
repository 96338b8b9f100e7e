"""YAML (and CSV rows) as plain Python values that remember their line numbers.

Staff fix what they can find: every validation message names the file and the
line. PyYAML's composer keeps each node's position, so we build dicts and lists
from the node tree ourselves instead of using ``yaml.safe_load``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from knowledge.schema import ERROR, Problem

try:  # libyaml is much faster on big files; fall back to pure Python.
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _BaseLoader = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader whose tag resolution skips the regex tests for text that
    cannot be a number, date or boolean (almost all of ours is Chinese)."""

    _implicit_first = frozenset(k for k in yaml.SafeLoader.yaml_implicit_resolvers if k)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0] and value and value[0] not in self._implicit_first:
            return _STR
        return super().resolve(kind, value, implicit)


class LMap(dict):
    """A mapping with the line of the mapping itself and of each value.

    ``cache_key`` is set on top-level entries parsed by :func:`parse_yaml_cached`
    (their source text and first line), so that validation can be cached too.
    """

    line: int = 0
    key_lines: dict[str, int]
    duplicate_keys: list[tuple[str, int]]
    cache_key: tuple[str, int] | None = None

    def __init__(self, *args: Any, line: int = 0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines = {}
        self.duplicate_keys = []

    def line_of(self, key: str) -> int:
        """Line of ``key``'s value, or of the mapping when the key is absent."""
        return self.key_lines.get(key, self.line)


class LList(list):
    """A list with the line of the list and of each item."""

    line: int = 0
    item_lines: list[int]

    def __init__(self, *args: Any, line: int = 0):
        super().__init__(*args)
        self.line = line
        self.item_lines = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


# Chinese explanations for the YAML errors staff actually make. Matched by
# substring because libyaml and pure PyYAML word them slightly differently.
_YAML_HINTS: tuple[tuple[str, str], ...] = (
    (
        "mapping values are not allowed",
        "这里不该出现冒号。文字里有英文冒号“:”时，请给整段文字加上引号，或改用中文冒号“：”",
    ),
    ("could not find expected ':'", "缺少冒号，应该写成“字段: 值”（冒号后面要有一个空格）"),
    (
        "cannot start any token",
        "有不能出现在这里的字符：常见原因是用了 Tab 键缩进（请改用空格），或行首用了 @、` 等符号（请给文字加上引号）",
    ),
    ("found unexpected end of stream", "引号没有配对，文字从这里开始的引号一直没有结束"),
    ("did not find expected key", "缩进没有对齐，同一级的字段前面要有同样多的空格"),
    ("did not find expected '-' indicator", "缩进没有对齐，列表的每一项都要以同样缩进的“- ”开头"),
    ("expected <block end>", "缩进没有对齐，同一级的字段前面要有同样多的空格"),
    ("did not find expected ',' or ']'", "方括号 [ ] 没有配对，或者里面少了逗号"),
    ("did not find expected ',' or '}'", "花括号 { } 没有配对，或者里面少了逗号"),
    ("did not find expected node content", "这里缺少内容：常见原因是方括号、引号没有配对，或者“- ”后面什么都没写"),
    ("found unknown escape character", "双引号里的反斜杠“\\”用法不对，请去掉反斜杠或改用单引号"),
    ("found undefined alias", "用了没有定义的“*”引用"),
    ("while parsing a block collection", "列表写法不对，每一项都要以“- ”开头并对齐"),
    ("while scanning a simple key", "缺少冒号，应该写成“字段: 值”（冒号后面要有一个空格）"),
)


def yaml_error_text(error: yaml.YAMLError) -> str:
    """A Chinese explanation of a YAML syntax error."""
    problem = str(getattr(error, "problem", "") or "")
    context = str(getattr(error, "context", "") or "")
    for needle, hint in _YAML_HINTS:
        if needle in problem:
            return hint
    for needle, hint in _YAML_HINTS:
        if needle in context:
            return hint
    return f"无法读取（{problem or error}）"


def parse_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse YAML text into LMap/LList/scalars; syntax errors become problems."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        text_ = f"YAML 格式错误：{yaml_error_text(exc)}"
        if exc.context_mark is not None and line is not None and exc.context_mark.line + 1 < line:
            # e.g. an unclosed bracket or quote: found late, started earlier.
            text_ += f"（从第{exc.context_mark.line + 1}行开始）"
        return None, [Problem(ERROR, file, line, None, None, text_)]
    except yaml.YAMLError as exc:
        return None, [Problem(ERROR, file, None, None, None, f"YAML 格式错误：{yaml_error_text(exc)}")]
    if root is None:
        return None, []
    problems: list[Problem] = []
    value = _convert(root, SafeConstructor(), problems, file)
    return value, problems


class ParseCache:
    """Parsed top-level entries by their source text (see :func:`parse_yaml_cached`).

    Each chunk is remembered with the line it started on; if it still starts
    there, the very same parsed object is reused (so checks keyed on it can be
    reused too), otherwise a copy with shifted line numbers is made.
    """

    def __init__(self) -> None:
        self.chunks: dict[str, tuple[int, LMap | None]] = {}


_ITEM_START = re.compile(r"^-(?=[ \t]|$)", re.M)
_NOT_A_PLAIN_LIST = re.compile(r"^(?:[^\s#-]|-[^ \t\n])", re.M)


def _split_items(text: str) -> list[tuple[int, str]] | None:
    """Top-level list items as (first line, text), or None if not a plain list.

    Each item starts with "- " in column 0; anything else in column 0 other than
    comments and blank lines means the file is not a simple list and must be
    parsed as a whole.
    """
    if _NOT_A_PLAIN_LIST.search(text):
        return None
    starts = [m.start() for m in _ITEM_START.finditer(text)]
    if not starts:
        return None
    items: list[tuple[int, str]] = []
    line = text.count("\n", 0, starts[0]) + 1
    for i, begin in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[begin:end]
        items.append((line, chunk))
        line += chunk.count("\n")
    return items


def _shift(value: Any, delta: int) -> Any:
    """A copy of a parsed value with every line number moved by ``delta``."""
    if isinstance(value, LMap):
        out = LMap({k: _shift(v, delta) for k, v in value.items()}, line=value.line + delta)
        out.key_lines = {k: n + delta for k, n in value.key_lines.items()}
        out.duplicate_keys = [(k, n + delta) for k, n in value.duplicate_keys]
        return out
    if isinstance(value, LList):
        out_list = LList([_shift(v, delta) for v in value], line=value.line + delta)
        out_list.item_lines = [n + delta for n in value.item_lines]
        return out_list
    return value


def parse_yaml_cached(text: str, file: str, cache: ParseCache | None) -> tuple[Any, list[Problem]]:
    """Like :func:`parse_yaml`, but re-parses only the entries whose text changed.

    Reloading a 10,000-entry file after staff changed one entry then costs one
    entry's parse. Files that are not a plain top-level list, or with any
    problem, go through the ordinary whole-file parse (exact error lines).
    """
    if cache is None:
        return parse_yaml(text, file)
    items = _split_items(text)
    if items is None:
        return parse_yaml(text, file)
    result = LList(line=items[0][0])
    fresh: dict[str, tuple[int, LMap | None]] = {}
    for start, chunk in items:
        known = fresh.get(chunk) or cache.chunks.get(chunk)
        if known is None:
            value, problems = parse_yaml(chunk, file)
            base = value[0] if not problems and isinstance(value, LList) and len(value) == 1 else None
            if isinstance(base, LMap):
                base.cache_key = (chunk, 1)
            known = (1, base)
        known_start, base = known
        if base is None:
            return parse_yaml(text, file)
        if known_start != start:
            base = _shift(base, start - known_start)
            if isinstance(base, LMap):
                base.cache_key = (chunk, start)
        fresh[chunk] = (start, base)
        result.append(base)
        result.item_lines.append(start)
    cache.chunks = fresh
    return result, []


def _convert(node: yaml.Node, constructor: SafeConstructor, problems: list[Problem], file: str) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
        return node.value
    if isinstance(node, yaml.MappingNode):
        result = LMap(line=line)
        for key_node, value_node in node.value:
            key = _convert(key_node, constructor, problems, file)
            key = str(key)
            if key in result:
                result.duplicate_keys.append((key, key_node.start_mark.line + 1))
                continue
            result[key] = _convert(value_node, constructor, problems, file)
            result.key_lines[key] = (
                value_node.start_mark.line + 1 if _inline(value_node) else key_node.start_mark.line + 1
            )
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LList(line=line)
        for child in node.value:
            items.append(_convert(child, constructor, problems, file))
            items.item_lines.append(child.start_mark.line + 1)
        return items
    try:
        return constructor.construct_object(node, deep=True)
    except (ConstructorError, ValueError) as exc:
        # e.g. an impossible date such as 2026-02-30: keep the raw text so that
        # the field check can say precisely what is wrong with it.
        del exc
        return str(node.value)


def _inline(node: yaml.Node) -> bool:
    """Scalars report their own line; for blocks the key line reads better."""
    return isinstance(node, yaml.ScalarNode)
