"""FAQ <-> CSV round trip for Excel: every field and character survives; invalid
imports are refused with messages that name the CSV line."""

from __future__ import annotations

import csv
from pathlib import Path

from knowledge.cli import main
from knowledge.faq_csv import COLUMNS, export_faq, import_faq
from knowledge.loader import load

TRICKY = """
# 头部注释要保留
- id: faq_tricky
  title: "标点、引号和换行：都要保留"
  questions:
    - 逗号,分号;冒号:问号?
    - “中文引号”和"英文引号"
    - 井号#和百分号%以及😀
  answer: |
    第一行，有逗号, "双引号" 和 '单引号'。
    第二行：冒号: 井号 # 还有 \\ 反斜杠。

    空一行后的第三行 😀
  tags: [标点, 测试]
  aliases: [奇怪条目]
  sample_fields: [answer]
  source: 测试来源（含括号）
- id: faq_plain
  questions: [只有问题和回答, 第二个问法]
  answer: 没有标题、没有标签的普通条目。
  source: 测试
"""


def faq_entries(kdir: Path):
    return [e for e in load(kdir).entries if e.kind == "faq"]


def comparable(entries):
    return [(e.id, e.title, e.questions, e.answer, e.tags, e.aliases, e.sample_fields, e.source) for e in entries]


def test_round_trip_of_the_real_faq_is_byte_identical(copy_real, tmp_path: Path):
    kdir = copy_real(tmp_path / "knowledge")
    original = (kdir / "faq.yml").read_bytes()
    out = tmp_path / "faq.csv"
    n, problems = export_faq(kdir, out)
    assert problems == [] and n == len(faq_entries(kdir))
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs the BOM for Chinese
    result = import_faq(kdir, out)
    assert result.written and result.errors == []
    assert (result.added, result.changed, result.removed) == (0, 0, 0)
    assert (kdir / "faq.yml").read_bytes() == original


def test_round_trip_keeps_every_field_and_character(kdir: Path, tmp_path: Path, write_yaml):
    write_yaml(kdir, "faq.yml", TRICKY)
    before = comparable(faq_entries(kdir))
    assert before[0][3].count("\n") == 3 and "😀" in before[0][3]
    out = tmp_path / "faq.csv"
    export_faq(kdir, out)
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    header = rows[0]
    assert header[0] == "id 编号" and header[2] == "questions 问法（多个用 | 分隔）"
    assert rows[1][2] == '逗号,分号;冒号:问号? | “中文引号”和"英文引号" | 井号#和百分号%以及😀'
    assert rows[2][1] == "" and rows[2][4] == ""  # absent fields stay absent
    result = import_faq(kdir, out)
    assert result.written, [str(p) for p in result.problems]
    assert comparable(faq_entries(kdir)) == before
    text = (kdir / "faq.yml").read_text(encoding="utf-8")
    assert text.startswith("# 头部注释要保留\n\n- id: faq_tricky\n")
    assert "title:" not in text.split("- id: faq_plain")[1]


def test_staff_edit_in_excel_is_imported(kdir: Path, tmp_path: Path, write_yaml):
    write_yaml(kdir, "faq.yml", TRICKY)
    out = tmp_path / "faq.csv"
    export_faq(kdir, out)
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    rows[2][3] = "改过的回答，内容足够长。"
    rows.append(["faq_new", "新条目", "新问题一 |新问题二|  ", "这是新加的回答，内容足够长。", "", "", "", "工作人员"])
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = import_faq(kdir, out)
    assert result.written
    assert (result.added, result.changed, result.removed, result.total) == (1, 1, 0, 3)
    entries = {e.id: e for e in faq_entries(kdir)}
    assert entries["faq_plain"].answer == "改过的回答，内容足够长。"
    assert entries["faq_new"].questions == ("新问题一", "新问题二")


def test_invalid_csv_is_refused_and_nothing_changes(kdir: Path, tmp_path: Path, write_yaml):
    write_yaml(kdir, "faq.yml", TRICKY)
    write_yaml(
        kdir,
        "subsidies.yml",
        """
        - id: subsidy_x
          title: 某补贴
          questions: [某补贴怎么申请, 某补贴]
          answer: 这是某补贴的回答，内容足够长。
          source: 测试
        """,
    )
    before = (kdir / "faq.yml").read_bytes()
    out = tmp_path / "faq.csv"
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"{n} {label}" for n, label in COLUMNS])
        w.writerow(["faq_a", "", "问题一 | 问题二", "第一行\n第二行，回答足够长。", "", "", "", "测试"])
        w.writerow(["faq_a", "", "问题三", "重复编号的回答足够长。", "", "", "", "测试"])
        w.writerow(["faq_b", "", "", "没有问法的回答足够长。", "", "", "", "测试"])
        w.writerow(["subsidy_x", "", "问题四", "", "", "", "", "测试"])
    result = import_faq(kdir, out)
    assert not result.written
    assert [str(p) for p in result.errors] == [
        "[错误] faq.csv 第4行（条目 faq_a，字段 id）：id faq_a 重复了，faq.csv 第2行已经用过",
        "[错误] faq.csv 第5行（条目 faq_b，字段 questions）：至少要写一个问法（questions）",
        "[错误] faq.csv 第6行（条目 subsidy_x，字段 answer）：回答不能为空",
        "[错误] subsidies.yml 第1行（条目 subsidy_x，字段 id）：id subsidy_x 重复了，faq.csv 第6行已经用过",
    ]
    assert (kdir / "faq.yml").read_bytes() == before


def test_cross_file_duplicate_is_found_on_import(kdir: Path, tmp_path: Path, write_yaml):
    write_yaml(
        kdir,
        "sports.yml",
        """
        - id: sports_walk
          title: 健步走
          questions: [健步走什么时候, 健步走]
          answer: 每年举办10场以上健步走活动。
          source: 测试
        """,
    )
    write_yaml(kdir, "faq.yml", "[]\n")
    out = tmp_path / "faq.csv"
    out.write_text(
        "id,questions,answer,source\nsports_walk,问一下,这条的编号和文体里的重复了。,测试\n", encoding="utf-8-sig"
    )
    result = import_faq(kdir, out)
    assert [str(p) for p in result.errors] == [
        "[错误] sports.yml 第1行（条目 sports_walk，字段 id）：id sports_walk 重复了，faq.csv 第2行已经用过"
    ]


def test_bad_headers_and_encoding(kdir: Path, tmp_path: Path, write_yaml):
    write_yaml(kdir, "faq.yml", TRICKY)
    out = tmp_path / "faq.csv"
    out.write_text("编号,问法,回答,备注\nfaq_x,问题,回答\n", encoding="utf-8-sig")
    result = import_faq(kdir, out)
    assert [str(p) for p in result.errors] == [
        "[错误] faq.csv 第1行：不认识的列“备注”，可用的列：id、title、"
        "questions、answer、tags、aliases、sample_fields、source、"
        "provider、teachers、audience、location、schedule、cost、how_to_join、contact、figures"
    ]
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("id,questions,answer\nfaq_x,问题,回答\n".encode("gbk"))
    result = import_faq(kdir, gbk)
    assert [str(p) for p in result.errors] == [
        "[错误] gbk.csv：文件不是 UTF-8 编码。请在 Excel 里“另存为”选“CSV UTF-8（逗号分隔）”"
    ]
    missing = tmp_path / "missing.csv"
    missing.write_text("id,title\nfaq_x,标题\n", encoding="utf-8")
    assert [str(p) for p in import_faq(kdir, missing).errors] == [
        "[错误] missing.csv 第1行：缺少“questions”这一列",
        "[错误] missing.csv 第1行：缺少“answer”这一列",
    ]


def test_chinese_only_headers_are_accepted(kdir: Path, tmp_path: Path, write_yaml):
    write_yaml(kdir, "faq.yml", "[]\n")
    out = tmp_path / "faq.csv"
    out.write_text("编号,问法,回答,出处\nfaq_x,问题一|问题二,这是一条足够长的回答。,测试\n", encoding="utf-8-sig")
    result = import_faq(kdir, out)
    assert result.written, [str(p) for p in result.problems]
    assert faq_entries(kdir)[0].questions == ("问题一", "问题二")


def test_cli_export_and_import(copy_real, tmp_path: Path, capsys):
    kdir = copy_real(tmp_path / "knowledge")  # UH_KNOWLEDGE_DIR points here
    out = tmp_path / "faq.csv"
    assert main(["export-faq", str(out)]) == 0
    assert "已导出 12 条常见问题" in capsys.readouterr().out
    assert main(["import-faq", "-q", str(out)]) == 0
    assert "已导入：共 12 条常见问题（新增 0，修改 0，删除 0）" in capsys.readouterr().out
    out.write_text("id,questions,answer\nfaq_x,问题,\n", encoding="utf-8-sig")
    assert main(["import-faq", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "[错误] faq.csv 第2行（条目 faq_x，字段 answer）：回答不能为空" in printed
    assert "没有导入：" in printed and "faq.yml 没有改动" in printed
    assert len(load(kdir).entries) > 12


def test_a_csv_with_only_the_header_is_refused(kdir: Path, tmp_path: Path, write_yaml):
    write_yaml(kdir, "faq.yml", TRICKY)
    before = (kdir / "faq.yml").read_bytes()
    header_only = tmp_path / "faq.csv"
    header_only.write_text("id,questions,answer\n\n", encoding="utf-8-sig")
    result = import_faq(kdir, header_only)
    assert [str(p) for p in result.errors] == [
        "[错误] faq.csv：表格里只有列名，一个问题也没有，没有导入。"
        "如果确实要删掉全部常见问题，请删除 faq.yml 或在里面只写一行 []"
    ]
    assert not result.written
    assert (kdir / "faq.yml").read_bytes() == before
