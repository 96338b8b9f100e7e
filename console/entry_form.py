"""Edit forms built from ``knowledge.fields``: one widget per declared field, with its
Chinese label and help, and the validator's messages beside the field they are about.

The form never checks anything itself: whatever staff type goes into the YAML as
typed, and the validator of ``python -m knowledge validate`` says what is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.http import QueryDict

from knowledge import fields as kfields
from knowledge.cli import KIND_NAMES as CLI_KIND_NAMES
from knowledge.editing import BOOK, key_field, shown
from knowledge.schema import Problem

#: Text fields read as several lines (a textarea).
LONG_TEXT = frozenset({"answer", "description", "intro"})
#: The kinds as staff name them (the CLI's names), and the monthly books.
KIND_NAMES: dict[str, str] = {**CLI_KIND_NAMES, BOOK: "每月书目"}


@dataclass
class FormField:
    name: str
    label: str
    help: str
    required: bool
    widget: str  # text | textarea | lines | number | date | month | bool | checks | yaml
    value: str = ""
    chosen: tuple[str, ...] = ()
    choices: tuple[tuple[str, str], ...] = ()
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    readonly: bool = False


def _widget(spec: kfields.Field) -> str:
    if spec.name == "sample_fields":
        return "checks"
    return {
        kfields.TEXT: "textarea" if spec.name in LONG_TEXT else "text",
        kfields.INT: "number",
        kfields.BOOL: "bool",
        kfields.TEXTLIST: "lines",
        kfields.DATE: "date",
        kfields.MONTH: "month",
    }.get(spec.type, "yaml")


def _as_widget_value(widget: str, value: Any) -> str:
    if value is None:
        return ""
    if widget == "yaml":
        return (
            yaml.safe_dump(value, allow_unicode=True, sort_keys=False).strip() if not isinstance(value, str) else value
        )
    if widget == "bool":
        return "true" if value is True else "false" if value is False else str(value)
    return shown(value)


def entry_label(kind: str, key: str) -> str:
    """How the validator names the item in its messages."""
    return f"书目 {key}" if kind == BOOK else key


def build(
    kind: str, values: Mapping[str, Any], problems: Iterable[Problem] = (), *, key: str | None = None
) -> tuple[list[FormField], list[Problem]]:
    """The form's fields with ``values``, and the problems that belong to no field."""
    specs = kfields.field_specs(kind)
    names = {s.name for s in specs}
    out: list[FormField] = []
    for spec in specs:
        widget = _widget(spec)
        f = FormField(
            name=spec.name,
            label=spec.label,
            help=kfields.form_help(kind, spec.name),
            required=spec.required,
            widget=widget,
            value=_as_widget_value(widget, values.get(spec.name)),
            readonly=key is not None and spec.name == key_field(kind),
        )
        if widget == "checks":
            f.choices = tuple((s.name, s.label) for s in specs if s.name not in ("id", "sample_fields", "month"))
            f.chosen = tuple(str(v) for v in values.get(spec.name) or ())
        out.append(f)
    by_name = {f.name: f for f in out}
    label = entry_label(kind, key or str(values.get(key_field(kind)) or ""))
    other = []
    for p in problems:
        if p.field in names and (p.entry in (None, label) or p.entry == values.get("id")):
            (by_name[p.field].errors if p.is_error else by_name[p.field].warnings).append(p.message)
        else:
            other.append(p)
    return out, other


def values_from_post(kind: str, post: QueryDict, *, key: str | None = None) -> dict[str, Any]:
    """The item's values from a submitted form, typed as a person would write them in
    YAML (a number as a number, a valid date as a date); anything else stays text, for
    the validator to name."""
    values: dict[str, Any] = {}
    for spec in kfields.field_specs(kind):
        widget = _widget(spec)
        if widget == "checks":
            values[spec.name] = [v for v in post.getlist(spec.name) if v]
            continue
        raw = post.get(spec.name, "")
        raw = raw.replace("\r\n", "\n")
        text = raw.strip()
        if widget in ("text", "textarea"):
            values[spec.name] = text or None
        elif widget == "lines":
            values[spec.name] = [line.strip() for line in text.split("\n") if line.strip()]
        elif widget == "number":
            values[spec.name] = int(text) if text.lstrip("-").isdigit() else (text or None)
        elif widget == "bool":
            values[spec.name] = {"true": True, "false": False}.get(text)
        elif widget == "date":
            try:
                values[spec.name] = dt.date.fromisoformat(text) if text else None
            except ValueError:
                values[spec.name] = text
        elif widget == "month":
            values[spec.name] = text or None
        else:
            try:
                values[spec.name] = yaml.safe_load(text) if text else None
            except yaml.YAMLError:
                values[spec.name] = text
    if key is not None:
        values[key_field(kind)] = key
    return values


def complete(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared field (absent ones as None), so applying it replaces the item."""
    return {spec.name: values.get(spec.name) for spec in kfields.field_specs(kind)} | dict(values)
