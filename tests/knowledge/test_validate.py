"""Every validation check, with the exact Chinese message staff see."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import pytest

from knowledge.cli import main
from knowledge.loader import load
from registry import cancel_enrollment
from registry import registry as open_db
from tests.knowledge.helpers import sign_up

GOOD_FAQ = """
- id: faq_a
  questions:
    - 甲问题怎么办
    - 甲问题
  answer: 这是甲问题的回答，内容足够长。
  source: 测试
"""

GOOD_COURSE = """
- id: c_{n}
  name: 课程{n}
  aliases: [别名{n}]
  category: 技能培训
  provider: 宁波市总工会
  region: 全市
  description: 这是课程{n}的介绍。
  questions: [课程{n}怎么报名, 课程{n}什么时候上]
  source: 测试
"""


def errors(kdir: Path, **kwargs) -> list[str]:
    return [str(p) for p in load(kdir, **kwargs).problems if p.is_error]


def warnings(kdir: Path) -> list[str]:
    return [str(p) for p in load(kdir).problems if not p.is_error]


def test_good_minimal_file_has_no_errors(kdir, write_yaml):
    write_yaml(kdir, "faq.yml", GOOD_FAQ)
    result = load(kdir)
    assert result.ok
    assert [e.id for e in result.entries] == ["faq_a"]
    assert result.entries[0].title == "甲问题怎么办"  # FAQ title defaults to the first question


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "- id: faq_a\n  questions: [甲问题怎么办\n  answer: x\n",
            "[错误] faq.yml 第3行：YAML 格式错误：方括号 [ ] 没有配对，或者里面少了逗号（从第2行开始）",
        ),
        (
            "- id: faq_a\n  questions:\n    - 甲问题\n  answer: 这里有冒号: 不行\n  source: 测试\n",
            "[错误] faq.yml 第4行：YAML 格式错误：这里不该出现冒号。"
            "文字里有英文冒号“:”时，请给整段文字加上引号，或改用中文冒号“：”",
        ),
        (
            "- id: faq_a\n  questions:\n\t- 甲问题\n",
            "[错误] faq.yml 第3行：YAML 格式错误：有不能出现在这里的字符："
            "常见原因是用了 Tab 键缩进（请改用空格），或行首用了 @、` 等符号（请给文字加上引号）",
        ),
        (
            '- id: faq_a\n  questions: ["甲问题]\n  answer: 回答\n',
            "[错误] faq.yml 第4行：YAML 格式错误：引号没有配对，文字从这里开始的引号一直没有结束（从第2行开始）",
        ),
    ],
)
def test_yaml_syntax_errors_name_the_line(kdir, write_yaml, text, expected):
    (kdir / "faq.yml").write_text(text, encoding="utf-8")
    assert errors(kdir) == [expected]


def test_every_problem_is_reported_not_only_the_first(kdir, write_yaml):
    write_yaml(
        kdir,
        "faq.yml",
        """
        - id: faq_a
          questions: []
          answer: 这是甲问题的回答，内容足够长。
          source: 测试
        - id: faq_b
          questions: [乙问题怎么办, 乙问题]
          answer: ""
          source: 测试
        - id: faq_c
          questions: [丙问题怎么办, 丙问题]
          answer: 这是丙问题的回答，内容足够长。
        - id: Faq-D
          questions: [丁问题怎么办, 丁问题]
          answer: 这是丁问题的回答，内容足够长。
          source: 测试
        """,
    )
    assert errors(kdir) == [
        "[错误] faq.yml 第2行（条目 faq_a，字段 questions）：至少要写一个问法（questions）",
        "[错误] faq.yml 第7行（条目 faq_b，字段 answer）：回答不能为空",
        "[错误] faq.yml 第9行（条目 faq_c，字段 source）：缺少必填字段 source",
        "[错误] faq.yml 第12行（条目 Faq-D，字段 id）："
        "id“Faq-D”只能用小写英文字母、数字和下划线，并以字母开头，例如 faq_join_union",
    ]


def test_faq_without_questions_or_answer(kdir, write_yaml):
    write_yaml(
        kdir,
        "faq.yml",
        """
        - id: faq_a
          answer: 这是甲问题的回答，内容足够长。
          source: 测试
        - id: faq_b
          questions: [乙问题怎么办]
          source: 测试
        - id: faq_c
          questions: [丙问题怎么办, "  "]
          answer:
          source: 测试
        """,
    )
    assert errors(kdir) == [
        "[错误] faq.yml 第1行（条目 faq_a，字段 questions）：至少要写一个问法（questions）",
        "[错误] faq.yml 第4行（条目 faq_b，字段 answer）：回答不能为空",
        "[错误] faq.yml 第8行（条目 faq_c，字段 questions）：第2项是空的",
        "[错误] faq.yml 第9行（条目 faq_c，字段 answer）：回答不能为空",
    ]


def test_wrong_types(kdir, write_yaml):
    write_yaml(
        kdir,
        "courses.yml",
        """
        - id: c_1
          name: 课程一
          category: 技能培训
          provider: 宁波市总工会
          region: 全市
          description: 介绍
          capacity: 三十人
          contact: 87654321
          enrollable: 是
          aliases: 别名一
          questions: [课程一怎么报名, 课程一什么时候上]
          source: 测试
        """,
    )
    assert errors(kdir) == [
        "[错误] courses.yml 第10行（条目 c_1，字段 aliases）：应该是列表（每项一行，以“- ”开头），现在是文字",
        "[错误] courses.yml 第7行（条目 c_1，字段 capacity）：应该是整数，现在是文字",
        "[错误] courses.yml 第8行（条目 c_1，字段 contact）："
        '应该是文字，现在是数字（全是数字的内容请加引号，例如 "0574-12345678"）',
        "[错误] courses.yml 第9行（条目 c_1，字段 enrollable）：应该是true 或 false，现在是文字",
    ]


def test_unknown_and_duplicate_fields(kdir, write_yaml):
    write_yaml(
        kdir,
        "faq.yml",
        """
        - id: faq_a
          qustions: [甲问题怎么办]
          questions: [甲问题怎么办, 甲问题]
          answer: 这是甲问题的回答，内容足够长。
          answer: 又写了一遍回答。
          source: 测试
        """,
    )
    assert errors(kdir) == [
        "[错误] faq.yml 第5行（条目 faq_a，字段 answer）：字段 answer 写了两次",
        "[错误] faq.yml 第2行（条目 faq_a，字段 qustions）：不认识的字段“qustions”，是不是写错了？"
        "这里可以用的字段：id、title、questions、answer、provider、teachers、audience、location、schedule、"
        "cost、how_to_join、contact、figures、tags、aliases、sample_fields、source",
    ]


def test_duplicate_ids_across_files(kdir, write_yaml):
    write_yaml(kdir, "faq.yml", GOOD_FAQ)
    write_yaml(
        kdir,
        "subsidies.yml",
        """
        - id: subsidy_x
          title: 某补贴
          questions: [某补贴怎么申请, 某补贴]
          answer: 这是某补贴的回答，内容足够长。
          source: 测试
        - id: faq_a
          title: 重复的编号
          questions: [重复编号的问题, 重复编号]
          answer: 这是重复编号条目的回答，内容足够长。
          source: 测试
        """,
    )
    assert errors(kdir) == ["[错误] subsidies.yml 第6行（条目 faq_a，字段 id）：id faq_a 重复了，faq.yml 第1行已经用过"]


def test_course_alias_claimed_by_two_courses(kdir, write_yaml):
    text = GOOD_COURSE.format(n=1) + GOOD_COURSE.format(n=2).replace("aliases: [别名2]", "aliases: [别名2, 别名1]")
    write_yaml(kdir, "courses.yml", text)
    assert errors(kdir) == [
        "[错误] courses.yml 第11行（条目 c_2，字段 aliases）：别名“别名1”同时属于课程 c_1 和 c_2，请只留在一门课程里"
    ]


def test_alias_equal_to_another_course_name_and_too_short_alias(kdir, write_yaml):
    text = GOOD_COURSE.format(n=1) + GOOD_COURSE.format(n=2).replace("aliases: [别名2]", "aliases: [课程1, 修]")
    write_yaml(kdir, "courses.yml", text)
    assert errors(kdir) == ["[错误] courses.yml 第13行（条目 c_2，字段 aliases）：别名“修”太短，至少要2个字"]
    first = GOOD_COURSE.format(n=1).replace("别名1", "plc")
    write_yaml(kdir, "courses.yml", first + GOOD_COURSE.format(n=2).replace("aliases: [别名2]", "aliases: [ＰＬＣ]"))
    assert errors(kdir) == [
        "[错误] courses.yml 第11行（条目 c_2，字段 aliases）：别名“ＰＬＣ”同时属于课程 c_1 和 c_2，请只留在一门课程里"
    ]


def test_dates_that_are_not_dates(kdir, write_yaml):
    course = GOOD_COURSE.format(n=1).replace(
        "  source: 测试\n", "  start_date: 2026-13-01\n  end_date: 明年三月\n  source: 测试\n"
    )
    ordered = GOOD_COURSE.format(n=2).replace(
        "  source: 测试\n", "  start_date: 2026-12-05\n  end_date: 2026-11-01\n  source: 测试\n"
    )
    write_yaml(kdir, "courses.yml", course + ordered)
    write_yaml(
        kdir,
        "reading.yml",
        """
        entries: []
        monthly_books:
          - month: 2026-13
            title: 某书
          - month: 2026-11
            title: 另一本书
          - month: 2026-11
            title: 又一本书
        """,
    )
    assert errors(kdir) == [
        "[错误] courses.yml 第9行（条目 c_1，字段 start_date）："
        "“2026-13-01”不是有效的日期，请写成 YYYY-MM-DD，例如 2026-09-01",
        "[错误] courses.yml 第10行（条目 c_1，字段 end_date）："
        "“明年三月”不是有效的日期，请写成 YYYY-MM-DD，例如 2026-09-01",
        "[错误] courses.yml 第22行（条目 c_2，字段 end_date）：结束日期 2026-11-01 早于开始日期 2026-12-05",
        "[错误] reading.yml 第3行（条目 书目 2026-13，字段 month）"
        "：“2026-13”不是有效的月份，请写成 YYYY-MM，例如 2026-09",
        "[错误] reading.yml 第7行（条目 书目 2026-11，字段 month）：2026-11 的书目写了两次，另一处在第5行",
    ]


def test_answer_too_long_for_a_phone_screen(kdir, write_yaml):
    long_answer = "工" * 301
    write_yaml(kdir, "faq.yml", GOOD_FAQ.replace("这是甲问题的回答，内容足够长。", long_answer))
    assert errors(kdir) == [
        "[错误] faq.yml 第5行（条目 faq_a，字段 answer）：回答有301个字，超过手机一屏的上限300字，请缩短或拆成两条"
    ]
    # The sample note counts too: 290 characters + the 14-character note is too long.
    write_yaml(
        kdir, "faq.yml", GOOD_FAQ.replace("这是甲问题的回答，内容足够长。", "工" * 290) + "  sample_fields: [answer]\n"
    )
    assert errors(kdir) == [
        "[错误] faq.yml 第5行（条目 faq_a，字段 answer）：回答有304个字，超过手机一屏的上限300字，请缩短或拆成两条"
    ]
    write_yaml(kdir, "faq.yml", GOOD_FAQ.replace("这是甲问题的回答，内容足够长。", "工" * 300))
    assert errors(kdir) == []


def test_course_answer_is_checked_as_rendered(kdir, write_yaml):
    write_yaml(kdir, "courses.yml", GOOD_COURSE.format(n=1).replace("这是课程1的介绍。", "介" * 290))
    assert errors(kdir) == [
        "[错误] courses.yml 第7行（条目 c_1，字段 description）"
        "：回答有320个字，超过手机一屏的上限300字，请缩短或拆成两条"
    ]


def test_sample_fields_checks(kdir, write_yaml):
    text = GOOD_COURSE.format(n=1).replace(
        "  source: 测试\n", "  contact: 示例：0574-0000 0000\n  source: 测试\n"
    ) + GOOD_COURSE.format(n=2).replace("  source: 测试\n", "  sample_fields: [teacher]\n  source: 测试\n")
    write_yaml(kdir, "courses.yml", text)
    assert errors(kdir) == [
        "[错误] courses.yml 第9行（条目 c_1，字段 contact）："
        "内容以“示例”开头，请把 contact 写进 sample_fields（上线前换成真实信息）",
        "[错误] courses.yml 第20行（条目 c_2，字段 sample_fields）：sample_fields 里的“teacher”不是这个条目的字段",
    ]


def test_programme_must_exist_and_placeholders_are_checked(kdir, write_yaml):
    write_yaml(
        kdir, "courses.yml", GOOD_COURSE.format(n=1).replace("  source: 测试\n", "  programme: jxgf\n  source: 测试\n")
    )
    write_yaml(kdir, "faq.yml", GOOD_FAQ.replace("这是甲问题的回答，内容足够长。", "本月的书是{本月的书}，欢迎阅读。"))
    assert errors(kdir) == [
        "[错误] faq.yml 第5行（条目 faq_a，字段 answer）"
        "：回答里的“{本月的书}”不是可用的占位符（目前只能用 {本月书目}）",
        "[错误] courses.yml 第1行（条目 c_1，字段 programme）："
        "programme 写的项目 jxgf 不存在（要写 courses.yml 里某个项目的 id）",
    ]


def test_top_level_shape(kdir, write_yaml):
    write_yaml(kdir, "faq.yml", "id: faq_a\nquestions: [甲问题]\n")
    write_yaml(kdir, "sports.yml", "- 只是一句话\n")
    assert errors(kdir) == [
        "[错误] faq.yml 第1行：不认识的部分“id”，这里只能有 entries",
        "[错误] faq.yml 第2行：不认识的部分“questions”，这里只能有 entries",
        "[错误] sports.yml 第1行：这一条应该是“字段: 值”的形式，每个字段一行",
    ]


def test_removed_course_with_registrations(kdir, data_dir, write_yaml):
    write_yaml(kdir, "courses.yml", GOOD_COURSE.format(n=1))
    registry = data_dir / "registry.db"
    sign_up(registry, "c_1")
    sign_up(registry, "c_gone", "c_gone", capacity=1)  # one seat, one on the waiting list
    ((number, sender_id),) = sign_up(registry, "c_cancelled").items()
    with open_db(registry) as db:
        assert cancel_enrollment(db, sender_id, number).status == "cancelled"
    before = registry.read_bytes()
    assert errors(kdir, registry_path=registry) == [
        "[错误] courses.yml（条目 c_gone）：课程 c_gone 已经有 2 条报名记录，"
        "不能删掉或改 id；不想再招生，请保留这门课并把 enrollable 改成 false"
    ]
    assert registry.read_bytes() == before  # opened read-only


def test_registry_without_the_table_or_file_is_ignored(kdir, data_dir, write_yaml):
    write_yaml(kdir, "courses.yml", GOOD_COURSE.format(n=1))
    assert errors(kdir, registry_path=data_dir / "missing.db") == []
    assert not (data_dir / "missing.db").exists()  # looking never creates one
    other = data_dir / "registry.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE workers (id TEXT)")
    con.commit()
    con.close()
    assert errors(kdir, registry_path=other) == []  # not a registry: nothing registered


def test_an_unreadable_registry_is_logged_not_fatal(kdir, data_dir, write_yaml, caplog):
    write_yaml(kdir, "courses.yml", GOOD_COURSE.format(n=1))
    broken = data_dir / "registry.db"
    broken.write_bytes(b"this is not a database file" * 200)
    caplog.set_level(logging.WARNING, logger="knowledge")
    assert errors(kdir, registry_path=broken) == []
    assert "报名数据库读不出来" in caplog.text


def test_warnings_do_not_fail(kdir, write_yaml, capsys):
    write_yaml(
        kdir,
        "faq.yml",
        """
        - id: faq_a
          questions: [甲问题怎么办]
          answer: 太短了
          sample_fields: [answer]
          source: 测试
        - id: faq_b
          questions: [甲问题怎么办, 乙问题]
          answer: 这是乙问题的回答，内容足够长。
          source: 测试
        """,
    )
    (kdir / "notes.yml").write_text("- 随便写写\n", encoding="utf-8")
    assert errors(kdir) == []
    found = warnings(kdir)
    assert (
        "[提醒] notes.yml：不认识的文件，小助手不会读取它（可用的文件名：faq.yml、courses.yml、"
        "subsidies.yml、reading.yml、sports.yml、organizations.yml）" in found
    )
    assert (
        "[提醒] faq.yml 第3行（条目 faq_a，字段 answer）：回答只有3个字，可能说不清楚，建议补充" not in found
    )  # 3 + sample note
    assert (
        "[提醒] faq.yml 第2行（条目 faq_a，字段 questions）"
        "：只有1个问法，建议再写几个职工常用的说法（口语、简称、错别字都行）" in found
    )
    assert (
        "[提醒] faq.yml 第4行（条目 faq_a，字段 sample_fields）："
        "还是示例信息（answer），上线前请换成工会的真实信息，并从 sample_fields 里删掉" in found
    )
    assert (
        "[提醒] faq.yml 第6行（条目 faq_b，字段 questions）：问法“甲问题怎么办”和条目 faq_a 重复，小助手可能答错"
        in found
    )
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "检查通过：共 2 条知识（常见问题 2 条），每月书目 0 条；" in out


def test_very_short_answer_warning(kdir, write_yaml):
    write_yaml(kdir, "faq.yml", GOOD_FAQ.replace("这是甲问题的回答，内容足够长。", "见通知。"))
    assert "[提醒] faq.yml 第5行（条目 faq_a，字段 answer）：回答只有4个字，可能说不清楚，建议补充" in warnings(kdir)


def test_cli_validate_lists_all_errors_and_fails(kdir, write_yaml, capsys):
    write_yaml(kdir, "faq.yml", GOOD_FAQ + GOOD_FAQ.replace("这是甲问题的回答，内容足够长。", ""))
    write_yaml(kdir, "sports.yml", "- id: s\n  title: [\n")
    assert main(["validate", "-q"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "[错误] faq.yml 第8行（条目 faq_a，字段 id）：id faq_a 重复了，faq.yml 第1行已经用过" in out
    assert "[错误] faq.yml 第12行（条目 faq_a，字段 answer）：回答不能为空" in out
    assert (
        "[错误] sports.yml 第3行：YAML 格式错误：这里缺少内容：常见原因是方括号、引号没有配对，或者“- ”后面什么都没写"
        in out
    )
    assert not any(line.startswith("[提醒]") for line in out)  # -q hides warnings
    assert out[-1].startswith("检查没有通过：3 个错误")


def test_real_files_pass_the_cli(copy_real, tmp_path, capsys):
    copy_real(tmp_path / "knowledge")
    assert main(["validate"]) == 0
    assert "检查通过" in capsys.readouterr().out


# --- empty files and files of the wrong shape --------------------------------------------

EMPTY_MESSAGE = (
    "文件是空的（没有任何条目，可能只剩注释或空行），很可能是保存出了问题或内容被误删了。"
    "如果确实要删掉这一类的全部条目，请删除这个文件，"
    "或者在文件里明确写一行 []"
)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n   \n  \n",
        "# 常见问题\n# 怎么改：每条以“- id:”开头\n\n",
        "\ufeff# 只有注释（带 BOM）\n",
        "---\n",
        "~\n",
    ],
    ids=["empty", "whitespace", "comments", "bom-comment", "document-marker", "null"],
)
def test_an_empty_file_is_rejected_naming_the_file(kdir, write_yaml, text):
    write_yaml(kdir, "faq.yml", GOOD_FAQ)
    (kdir / "sports.yml").write_text(text, encoding="utf-8")
    assert errors(kdir) == [f"[错误] sports.yml：{EMPTY_MESSAGE}"]


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("sports.yml", "{}\n", "[错误] sports.yml 第1行：文件最外层应该是条目列表（每条以“- id:”开头）"),
        ("sports.yml", "就一句话\n", "[错误] sports.yml 第1行：文件最外层应该是条目列表（每条以“- id:”开头）"),
        (
            "sports.yml",
            "# 文体活动\nentries:\n",
            "[错误] sports.yml 第2行（字段 entries）：“entries:”下面一条也没有，可能是缩进错了或内容被误删了。"
            "如果确实要清空这一部分，请明确写成“entries: []”",
        ),
        (
            "reading.yml",
            "entries: []\nmonthly_books:\n",
            "[错误] reading.yml 第2行（字段 monthly_books）："
            "“monthly_books:”下面一条也没有，可能是缩进错了或内容被误删了。"
            "如果确实要清空这一部分，请明确写成“monthly_books: []”",
        ),
    ],
    ids=["empty-mapping", "scalar", "entries-null", "monthly-books-null"],
)
def test_a_top_level_of_the_wrong_shape_is_rejected(kdir, write_yaml, name, text, expected):
    write_yaml(kdir, "faq.yml", GOOD_FAQ)
    (kdir / name).write_text(text, encoding="utf-8")
    assert errors(kdir) == [expected]


@pytest.mark.parametrize("text", ["[]\n", "# 暂时没有文体活动\nentries: []\n"])
def test_an_explicit_empty_list_is_accepted_with_a_warning(kdir, write_yaml, text):
    write_yaml(kdir, "faq.yml", GOOD_FAQ)
    (kdir / "sports.yml").write_text(text, encoding="utf-8")
    result = load(kdir)
    assert result.ok
    assert [e.id for e in result.entries] == ["faq_a"]
    assert any(
        str(p).startswith("[提醒] sports.yml") and "文件里写的是空列表，一条条目也没有：这一类知识暂时是空的" in str(p)
        for p in result.warnings
    )


def test_a_deleted_file_is_accepted_with_a_warning(kdir, write_yaml):
    write_yaml(kdir, "faq.yml", GOOD_FAQ)
    result = load(kdir)
    assert result.ok
    assert "[提醒] sports.yml：没有找到这个文件，这一类知识暂时是空的" in [str(p) for p in result.warnings]


def test_emptying_or_deleting_courses_with_registrations_is_refused(kdir, data_dir, write_yaml):
    write_yaml(kdir, "faq.yml", GOOD_FAQ)
    registry = data_dir / "registry.db"
    sign_up(registry, "c_1")
    refused = (
        "[错误] courses.yml（条目 c_1）：课程 c_1 已经有 1 条报名记录，不能删掉或改 id；"
        "不想再招生，请保留这门课并把 enrollable 改成 false"
    )
    write_yaml(kdir, "courses.yml", "[]\n")
    assert errors(kdir, registry_path=registry) == [refused]
    (kdir / "courses.yml").unlink()
    assert errors(kdir, registry_path=registry) == [refused]
    write_yaml(kdir, "courses.yml", "")
    assert errors(kdir, registry_path=registry) == [f"[错误] courses.yml：{EMPTY_MESSAGE}", refused]


def test_cli_validate_rejects_an_empty_file(kdir, write_yaml, capsys):
    write_yaml(kdir, "faq.yml", GOOD_FAQ)
    (kdir / "subsidies.yml").write_text("# 补贴\n\n", encoding="utf-8")
    assert main(["validate"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"[错误] subsidies.yml：{EMPTY_MESSAGE}" in out
    assert out[-1].startswith("检查没有通过：1 个错误")


def test_cli_directories_are_handed_down_not_put_in_the_environment(tmp_path, write_yaml, capsys, monkeypatch):
    """--knowledge-dir / --data-dir reach every command without touching os.environ."""
    other = tmp_path / "other"
    (other / "knowledge").mkdir(parents=True)
    write_yaml(other / "knowledge", "faq.yml", GOOD_FAQ)
    before = (os.environ["UH_KNOWLEDGE_DIR"], os.environ["UH_DATA_DIR"])
    args = ["--knowledge-dir", str(other / "knowledge"), "--data-dir", str(other / "var")]
    assert main([*args, "validate"]) == 0
    assert "检查通过：共 1 条知识（常见问题 1 条）" in capsys.readouterr().out
    assert main([*args, "build"]) == 0
    assert (other / "var" / "knowledge_index.db").exists()
    assert not (tmp_path / "var" / "knowledge_index.db").exists()
    assert main([*args, "gaps"]) == 0
    assert "没有答不上的问题" in capsys.readouterr().out
    assert (os.environ["UH_KNOWLEDGE_DIR"], os.environ["UH_DATA_DIR"]) == before
