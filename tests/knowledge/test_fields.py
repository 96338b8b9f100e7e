"""One declaration of the fields: every key the knowledge files use is declared, with a label."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge.fields import EXPECTED, field_specs, fields_for, label
from knowledge.schema import KIND_BY_FILE

REPO = Path(__file__).resolve().parents[2]


def test_every_field_has_a_chinese_label_and_a_known_type() -> None:
    for kind in (*KIND_BY_FILE.values(), "book"):
        for field in field_specs(kind):
            assert field.label and not field.label.isascii(), (kind, field.name)
            assert field.type in EXPECTED


def test_every_key_in_the_shipped_files_is_declared() -> None:
    for name, kind in KIND_BY_FILE.items():
        data = yaml.safe_load((REPO / "knowledge" / name).read_text(encoding="utf-8"))
        entries = data.get("entries", []) if isinstance(data, dict) else data
        declared = set(fields_for(kind))
        for entry in entries:
            assert set(entry) <= declared, (name, entry.get("id"), set(entry) - declared)
        for book in data.get("monthly_books", []) if isinstance(data, dict) else []:
            assert set(book) <= set(fields_for("book"))


def test_faq_titles_are_optional_and_labels_fall_back_to_the_name() -> None:
    assert fields_for("faq")["title"] == ("text", False)
    assert fields_for("subsidy")["title"] == ("text", True)
    assert label("course", "capacity") == "名额"
    assert label("course", "no_such_field") == "no_such_field"
