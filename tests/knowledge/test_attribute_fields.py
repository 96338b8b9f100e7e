"""The attribute fields (figures with their year, provider, cost, how to join …): declared
with a Chinese label, validated with messages staff can act on, kept through the index and
the FAQ spreadsheet, and filled from the source article in the shipped files."""

from __future__ import annotations

import csv
from pathlib import Path

from knowledge.faq_csv import export_faq, import_faq
from knowledge.fields import ATTRIBUTE_FIELDS, field_specs, fields_for
from knowledge.kb import KnowledgeBase
from knowledge.loader import load
from tests.knowledge.test_validate import errors, warnings

REPO = Path(__file__).resolve().parents[2]
SOURCE = Path("/work/shared/seeds/000_9ecdfa2327696c91.txt")

SUBSIDY = """
- id: subsidy_a
  title: 甲补贴
  questions: [甲补贴有多少, 甲补贴谁出]
  answer: 甲补贴2019年发了500份，共3749人领取，由市总工会发放。
  provider: 宁波市总工会
  figures:
{figures}
  source: 测试
"""


def subsidy(*figures: str) -> str:
    return SUBSIDY.format(figures="\n".join(f"    - {f}" for f in figures))


def test_every_kind_declares_the_attribute_fields_with_chinese_labels() -> None:
    for kind in ("faq", "course", "subsidy", "reading", "sports", "organization"):
        declared = {f.name: f for f in field_specs(kind)}
        for name in ATTRIBUTE_FIELDS:
            assert name in declared, (kind, name)
            assert not declared[name].label.isascii()
    assert fields_for("course")["provider"] == ("text", True)
    assert fields_for("subsidy")["provider"] == ("text", False)
    assert fields_for("reading")["figures"] == ("textlist", False)


def test_figures_with_their_year_are_accepted(kdir, write_yaml) -> None:
    write_yaml(kdir, "subsidies.yml", subsidy("2019年发放500份", "截至2020年6月共3749人领取"))
    assert errors(kdir) == []
    entry = next(e for e in load(kdir).entries if e.id == "subsidy_a")
    assert entry.figures == ("2019年发放500份", "截至2020年6月共3749人领取")
    assert entry.provider == "宁波市总工会"


def test_a_figure_without_a_year_or_a_number_is_refused(kdir, write_yaml) -> None:
    write_yaml(kdir, "subsidies.yml", subsidy("共3749人领取"))
    assert errors(kdir) == [
        "[错误] subsidies.yml 第7行（条目 subsidy_a，字段 figures）：第1项“共3749人领取”没有写年份，"
        "职工会以为是今年的数字。请写明是哪一年的，例如“2019年开设500场”“截至2020年6月共3749人参与”"
    ]
    write_yaml(kdir, "subsidies.yml", subsidy("由市总工会发放"))
    assert errors(kdir) == [
        "[错误] subsidies.yml 第7行（条目 subsidy_a，字段 figures）：第1项“由市总工会发放”里没有数字："
        "这里只写数字（例如“2019年开设500场”），其他内容写进回答"
    ]


def test_a_figure_the_answer_does_not_show_is_pointed_out(kdir, write_yaml) -> None:
    write_yaml(kdir, "subsidies.yml", subsidy("2019年发放600份"))
    assert errors(kdir) == []
    assert (
        "[提醒] subsidies.yml 第7行（条目 subsidy_a，字段 figures）："
        "数字 600（figures 第1项）在回答里没有出现，两处是否一致？" in warnings(kdir)
    )


def test_an_unconfirmed_attribute_must_be_marked_as_a_sample(kdir, write_yaml) -> None:
    text = subsidy("2019年发放500份").replace("  provider: 宁波市总工会\n", "  location: 示例：宁波市××路\n")
    write_yaml(kdir, "subsidies.yml", text)
    assert errors(kdir) == [
        "[错误] subsidies.yml 第5行（条目 subsidy_a，字段 location）："
        "内容以“示例”开头，请把 location 写进 sample_fields（上线前换成真实信息）"
    ]
    write_yaml(kdir, "subsidies.yml", text.replace("  source: 测试", "  sample_fields: [location]\n  source: 测试"))
    assert errors(kdir) == []


def test_the_attributes_survive_the_index(kdir, write_yaml, tmp_path: Path) -> None:
    write_yaml(kdir, "subsidies.yml", subsidy("2019年发放500份"))
    first = KnowledgeBase.open(kdir, tmp_path / "index.db", registry_path=tmp_path / "registry.db")
    assert first.entry("subsidy_a").figures == ("2019年发放500份",)  # type: ignore[union-attr]
    (kdir / "subsidies.yml").write_text("[]\n", encoding="utf-8")  # a broken start: the index is used
    again = KnowledgeBase.open(kdir, tmp_path / "index.db", registry_path=tmp_path / "registry.db")
    assert again.entry("subsidy_a") is None or again.entry("subsidy_a").provider == "宁波市总工会"  # type: ignore[union-attr]


def test_faq_attributes_go_through_the_spreadsheet(kdir, write_yaml, tmp_path: Path) -> None:
    write_yaml(
        kdir,
        "faq.yml",
        """
        - id: faq_a
          title: 职工活动中心
          questions: [活动中心有几个, 活动中心多少]
          answer: 全市有活动中心3500余个，每年开展活动1.3万余场。
          figures:
            - 截至2020年6月全市有活动中心3500余个
          source: 测试
        """,
    )
    out = tmp_path / "faq.csv"
    export_faq(kdir, out)
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    figures_column = rows[0].index("figures 数字（写明年份）（多个用 | 分隔）")
    rows[1][figures_column] += " | 全市各级阵地每年开展活动1.3万余场"
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert import_faq(kdir, out).written
    entry = next(e for e in load(kdir).entries if e.id == "faq_a")
    assert entry.figures == ("截至2020年6月全市有活动中心3500余个", "全市各级阵地每年开展活动1.3万余场")


def test_the_shipped_figures_come_from_the_source_article() -> None:
    article = SOURCE.read_text(encoding="utf-8") if SOURCE.exists() else None
    result = load(REPO / "knowledge")
    assert result.ok
    with_figures = [e for e in result.entries if e.figures]
    assert len(with_figures) >= 15
    if article is None:
        return
    import re

    for entry in with_figures:
        for figure in entry.figures:
            body = re.sub(r"(?:截至|截止)?(?:19|20)\d\d年(?:\d{1,2}月(?:底)?)?", "", figure)
            for number in re.findall(r"\d+(?:\.\d+)?", body):
                assert number in article, (entry.id, figure, number)
