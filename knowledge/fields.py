"""Every field of every kind of knowledge entry: its type, whether it is required, and
the Chinese label and help staff read.

One declaration serves three readers: the validator checks the YAML against it, the
staff console builds its edit forms from it, and staff documentation names fields the
same way. Adding a field means adding it here (with a label), then using it.
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT, INT, BOOL, TEXTLIST, DATE, MONTH = "text", "int", "bool", "textlist", "date", "month"

#: How a type is named in a validation message ("应该是整数").
EXPECTED: dict[str, str] = {
    TEXT: "文字",
    INT: "整数",
    BOOL: "true 或 false",
    TEXTLIST: "列表（每项一行，以“- ”开头）",
    DATE: "日期（YYYY-MM-DD）",
    MONTH: "月份（YYYY-MM）",
}


@dataclass(frozen=True)
class Field:
    """One field of an entry as staff write it in YAML."""

    name: str
    type: str
    required: bool
    label: str
    help: str = ""


def _fields(*items: Field) -> tuple[Field, ...]:
    return items


_ID = Field("id", TEXT, True, "编号", "英文小写字母、数字和下划线，定下来就不要再改")
_QUESTIONS = Field("questions", TEXTLIST, True, "职工的问法", "职工可能怎么问，每行一个，越多越好")
_TAGS = Field("tags", TEXTLIST, False, "标签")
_ALIASES = Field("aliases", TEXTLIST, False, "别名", "简称、俗称、常见错别字，每个至少2个字")
_SAMPLES = Field("sample_fields", TEXTLIST, False, "示例字段", "还没定下来、先写了示例的字段名")
_SOURCE = Field("source", TEXT, True, "出处", "依据的文件或报道，例如“工会办公室 2026-11 通知”")

# What workers ask about one entry ("谁来上课", "在哪上", "多少人参加过", "要钱吗"): when
# one of these is filled, the bot answers that question in a sentence or two instead of
# sending the whole entry; when it is empty, the bot says the report does not say and
# offers a person. Fill them from the source only; unconfirmed details are sample values.
_PROVIDER = Field("provider", TEXT, False, "主办单位", "谁办的，例如“宁波市工人文化宫”")
_TEACHERS = Field("teachers", TEXT, False, "授课老师", "谁来上课、谁来讲，例如“由工匠担任授课主体”")
_AUDIENCE = Field("audience", TEXT, False, "参加对象", "谁可以参加、谁可以领")
_LOCATION = Field("location", TEXT, False, "地点")
_SCHEDULE = Field("schedule", TEXT, False, "时间", "什么时候办、什么时候上课")
_COST = Field("cost", TEXT, False, "费用", "要不要交钱、谁出钱；报道里没写就不填")
_HOW_TO_JOIN = Field("how_to_join", TEXT, False, "报名方式", "怎么报名、参加或申请")
_CONTACT = Field("contact", TEXT, False, "联系方式")
_FIGURES = Field(
    "figures",
    TEXTLIST,
    False,
    "数字（写明年份）",
    "一行一个数字，写明是哪一年的，例如“2019年开设500场”“截至2020年6月共3749人参与”",
)
#: The attribute fields every kind of entry may have (courses: provider is required).
ATTRIBUTE_FIELDS: tuple[str, ...] = (
    "provider",
    "teachers",
    "audience",
    "location",
    "schedule",
    "cost",
    "how_to_join",
    "contact",
    "figures",
)

#: FAQ, subsidy, reading, sports and organisation entries.
ENTRY: tuple[Field, ...] = _fields(
    _ID,
    Field("title", TEXT, True, "标题"),
    _QUESTIONS,
    Field("answer", TEXT, True, "回答", "最多300字；写给职工看的完整回答"),
    _PROVIDER,
    _TEACHERS,
    _AUDIENCE,
    _LOCATION,
    _SCHEDULE,
    _COST,
    _HOW_TO_JOIN,
    _CONTACT,
    _FIGURES,
    _TAGS,
    _ALIASES,
    _SAMPLES,
    _SOURCE,
)
#: FAQ entries may leave out the title (the first question is used).
FAQ: tuple[Field, ...] = tuple(
    Field(f.name, f.type, False, f.label, "不写就用第一个问法") if f.name == "title" else f for f in ENTRY
)
COURSE: tuple[Field, ...] = _fields(
    _ID,
    Field("name", TEXT, True, "课程名"),
    _ALIASES,
    Field("category", TEXT, True, "类别"),
    Field("provider", TEXT, True, "主办单位"),
    Field("region", TEXT, True, "区域", "全市 / 奉化区 / 宁海县 / 象山县 / 线上……"),
    Field("description", TEXT, True, "简介"),
    Field("schedule", TEXT, False, "上课时间"),
    Field("capacity", INT, False, "名额"),
    _LOCATION,
    _CONTACT,
    _TEACHERS,
    _AUDIENCE,
    _COST,
    _HOW_TO_JOIN,
    _FIGURES,
    Field("start_date", DATE, False, "开课日期", "写成 2026-12-05 这样"),
    Field("end_date", DATE, False, "结课日期", "写成 2026-12-26 这样"),
    Field("programme", TEXT, False, "所属项目", "项目的编号，例如匠心工坊的课程写 jxgf"),
    Field("enrollable", BOOL, False, "可在小助手报名", "不写就是可以"),
    _QUESTIONS,
    _TAGS,
    _SAMPLES,
    _SOURCE,
)
BOOK: tuple[Field, ...] = _fields(
    Field("month", MONTH, True, "月份", "写成 2026-11 这样"),
    Field("title", TEXT, True, "书名"),
    Field("author", TEXT, False, "作者"),
    Field("intro", TEXT, False, "介绍", "一两句，最多150字"),
    _SAMPLES,
)

_BY_KIND: dict[str, tuple[Field, ...]] = {"course": COURSE, "faq": FAQ, "book": BOOK}


def field_specs(kind: str) -> tuple[Field, ...]:
    """The fields of one kind (``faq``, ``course``, ``subsidy`` …, or ``book``), in order."""
    return _BY_KIND.get(kind, ENTRY)


def fields_for(kind: str) -> dict[str, tuple[str, bool]]:
    """``{field: (type, required)}``: what the validator checks."""
    return {f.name: (f.type, f.required) for f in field_specs(kind)}


def label(kind: str, name: str) -> str:
    """The Chinese label of a field (its name when it has none)."""
    return next((f.label for f in field_specs(kind) if f.name == name), name)


# ---------------------------------------------------------------- what the console's forms add

#: Help under a field in the staff console's edit form, for fields declared without one.
FORM_HELP: dict[str, str] = {
    "title": "职工在按钮和列表里看到的名字",
    "tags": "方便归类和查找，每行一个，可以不写",
    "category": "例如：技能培训、学历提升、文体艺术",
    "provider": "哪个单位办的",
    "description": "写给职工看的介绍；小助手会把时间、地点、名额、联系方式自动接在后面",
    "schedule": "例如：每周六上午；没定下来先写“示例：……”并勾选示例字段",
    "capacity": "只写数字；不写就是不限",
    "location": "上课地点",
    "contact": "电话或联系人",
    "name": "课程的正式名称",
    "author": "不知道可以不写",
}


def form_help(kind: str, name: str) -> str:
    """The help text a form shows under a field (its declared help, or FORM_HELP)."""
    declared = next((f.help for f in field_specs(kind) if f.name == name), "")
    return declared or FORM_HELP.get(name, "")
