"""Helpers shared by the knowledge tests (importable as ``tests.knowledge.helpers``)."""

from __future__ import annotations

import itertools
from pathlib import Path

from registry import enroll, registry, save_worker

_senders = itertools.count(1)

#: One enrollable course, as staff would write it in courses.yml.
WELD_COURSE = """
- id: c_weld
  name: 焊工培训
  category: 技能培训
  provider: 宁波市总工会
  region: 全市
  description: 焊工技能培训。
  questions: [焊工培训怎么报名, 学焊工]
  source: 测试
"""


def sign_up(registry_path: Path, *course_ids: str, capacity: int | None = None) -> dict[str, str]:
    """One new worker enrolled in each course, through the registry's own functions (the
    registry owns its file); returns ``{enrollment number: sender_id}``."""
    numbers = {}
    with registry(registry_path) as db:
        for course_id in course_ids:
            sender_id = f"kb-test-{next(_senders)}"
            save_worker(db, sender_id, name="测试职工", phone="13812345678")
            numbers[enroll(db, sender_id, course_id, f"课程{course_id}", capacity).number] = sender_id
    return numbers
