"""Profiles, reading teams, "my records" and deleting a worker's data."""

from __future__ import annotations

import json

import pytest

from registry import (
    Database,
    InvalidInput,
    cancel_enrollment,
    create_application,
    delete_worker_data,
    district_team,
    employer_team,
    enroll,
    export_worker_data,
    get_stats,
    get_worker,
    join_reading_team,
    leave_reading_team,
    list_records,
    list_teams,
    queue_notification,
    roster,
    save_worker,
    set_application_status,
    team_members,
    update_worker,
    waitlist,
)
from tests.registry.helpers import register, rows

PHONE = "13987654321"
CERTIFICATE = "330203199001011234"


def test_save_worker_validates_and_updates(db: Database) -> None:
    worker = save_worker(
        db, "tg-1", name=" 王 芳 ", phone="139-8765-4321", employer="宁波港集团", district="北仑", union_member=True
    )
    assert (worker.name, worker.phone, worker.district, worker.union_member) == ("王芳", PHONE, "北仑区", True)
    assert worker.masked_phone == "139****4321"
    changed = save_worker(db, "tg-1", name="王芳", phone="13812345678")
    assert changed.created_at == worker.created_at
    assert (changed.phone, changed.employer, changed.district) == ("13812345678", None, None)
    assert db["workers"].count == 1
    assert get_stats(db)["workers.registered"] == {"北仑区": 1}


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "123"), ("phone", "1398765432x"), ("district", "杭州"), ("employer", "1")],
)
def test_save_worker_refuses_bad_fields(db: Database, field: str, value: str) -> None:
    profile = {"name": "王芳", "phone": PHONE, "employer": "宁波港集团", "district": "北仑"}
    with pytest.raises(InvalidInput) as error:
        save_worker(db, "tg-1", **{**profile, field: value})
    assert error.value.field == field
    assert get_worker(db, "tg-1") is None


def test_update_worker(db: Database) -> None:
    assert update_worker(db, "tg-1", phone=PHONE) is None
    register(db, "tg-1")
    assert update_worker(db, "tg-1", phone="139 8765 4321", district="象山").phone == PHONE
    assert get_worker(db, "tg-1").district == "象山县"
    with pytest.raises(InvalidInput):
        update_worker(db, "tg-1", phone="12")
    with pytest.raises(TypeError):
        update_worker(db, "tg-1", sender_id="tg-2")


def test_reading_teams(db: Database) -> None:
    register(db, "a", "b")
    team = district_team("海曙区")
    assert team.team_id == "district:海曙区"
    joined = join_reading_team(db, "a", team.team_id)
    assert joined.status == "joined" and joined.team.display_name == "海曙区职工读书会"
    assert join_reading_team(db, "a", team.team_id).status == "already"
    employer = employer_team("宁波XX公司")
    assert join_reading_team(db, "b", employer.team_id, "XX公司书友会").team.display_name == ("XX公司书友会")
    assert join_reading_team(db, "nobody", team.team_id).status == "not_registered"
    assert [(t.team_id, n) for t, n in list_teams(db)] == [("district:海曙区", 1), ("employer:宁波XX公司", 1)]
    assert [name for name, _, _ in team_members(db, team.team_id)] == ["职工一"]
    assert leave_reading_team(db, "b", team.team_id).status == "not_member"
    assert leave_reading_team(db, "a", team.team_id).status == "left"
    assert list_records(db, "a").teams == []
    with pytest.raises(ValueError):
        join_reading_team(db, "a", "海曙区")


def test_list_records_shows_only_the_workers_own(db: Database) -> None:
    register(db, "a", "b")
    enroll(db, "a", "c1", "课程一", 5)
    enroll(db, "b", "c2", "课程二", 5)
    join_reading_team(db, "b", "district:江北区")
    records = list_records(db, "a")
    assert records.worker.sender_id == "a"
    assert [e.course_id for e in records.enrollments] == ["c1"]
    assert records.teams == [] and records.applications == []
    assert list_records(db, "nobody").empty


def _seed_worker_with_everything(db: Database) -> dict[str, str]:
    save_worker(db, "victim", name="赵六", phone=PHONE, employer="宁波赵氏公司", district="鄞州")
    register(db, "w1", "w2")
    numbers = {
        "seat": enroll(db, "victim", "c1", "课程一", 1).number,
        "waiting": None,
    }
    enroll(db, "w1", "c1", "课程一", 1)  # waits behind the victim
    enroll(db, "w1", "c2", "课程二", 1)
    numbers["waiting"] = enroll(db, "victim", "c2", "课程二", 1).number
    numbers["cancelled"] = enroll(db, "victim", "c3", "课程三", None).number
    cancel_enrollment(db, "victim", numbers["cancelled"])
    form = dict(
        name="赵六",
        phone=PHONE,
        school="宁波工程学院",
        programme="电气工程",
        graduation_date="2023-07",
        certificate_no=CERTIFICATE,
    )
    numbers["approved"] = create_application(db, "victim", **form).number
    set_application_status(db, numbers["approved"], "approved", "赵六的材料齐全")
    numbers["pending"] = create_application(db, "victim", **{**form, "certificate_no": "ZJ2023000777"}).number
    join_reading_team(db, "victim", "district:鄞州区")
    join_reading_team(db, "w1", "district:鄞州区")
    return numbers


def test_delete_worker_data_removes_personal_fields_and_keeps_counts(db: Database) -> None:
    numbers = _seed_worker_with_everything(db)
    stats_before = get_stats(db)

    result = delete_worker_data(db, "victim")

    assert result.deleted_profile
    assert (result.enrollments_anonymized, result.applications_anonymized, result.teams_left) == (3, 2, 1)
    # the seat the victim held goes to the waiting worker, who is told
    assert [(p.sender_id, p.course_id) for p in result.promoted] == [("w1", "c1")]
    assert [e.enrollment.sender_id for e in roster(db, "c1")] == ["w1"]
    assert waitlist(db, "c2") == []

    # nothing personal is left anywhere in the file
    assert get_worker(db, "victim") is None
    assert list_records(db, "victim").empty
    for table in db.table_names():
        for row in rows(db, f'SELECT * FROM "{table}"'):
            text = " ".join(str(v) for v in row.values())
            for secret in ("victim", "赵六", PHONE, CERTIFICATE, "ZJ2023000777", "宁波赵氏公司", "宁波工程学院"):
                assert secret not in text, (table, row)

    # the anonymous remainder: numbers, statuses and the counters
    enrollment_rows = {r["enrollment_no"]: r for r in rows(db, "SELECT * FROM enrollments")}
    assert {enrollment_rows[numbers[k]]["status"] for k in ("seat", "waiting", "cancelled")} == {"cancelled"}
    apps = {r["application_no"]: r for r in rows(db, "SELECT * FROM applications")}
    assert apps[numbers["approved"]]["status"] == "approved"
    assert apps[numbers["pending"]]["status"] == "cancelled"
    assert apps[numbers["approved"]]["programme"] == "电气工程"

    stats = get_stats(db)
    for metric in (
        "enrollments.created",
        "enrollments.waitlisted",
        "enrollments.cancelled",
        "applications.created",
        "workers.registered",
        "reading_teams.joined",
    ):
        assert stats[metric] == stats_before[metric], metric
    assert stats["enrollments.withdrawn_by_deletion"] == {"c1": 1, "c2": 1}
    assert stats["applications.by_status"]["approved"] == 1
    assert stats["applications.by_status"]["pending"] == 0
    assert stats["workers.deleted"] == {"all": 1}
    assert stats["enrollments.promoted"]["c1"] == 1


def test_after_deletion_the_worker_can_start_again(db: Database) -> None:
    _seed_worker_with_everything(db)
    delete_worker_data(db, "victim")
    again = delete_worker_data(db, "victim")
    assert (again.deleted_profile, again.enrollments_anonymized, again.applications_anonymized, again.teams_left) == (
        False,
        0,
        0,
        0,
    )
    save_worker(db, "victim", name="赵六", phone=PHONE)
    again = enroll(db, "victim", "c1", "课程一", 1)
    assert again.status == "waitlisted" and again.waitlist_position == 1
    assert [e.course_id for e in list_records(db, "victim").enrollments] == ["c1"]


def test_deleting_one_worker_leaves_the_others_alone(db: Database) -> None:
    _seed_worker_with_everything(db)
    w1_before = list_records(db, "w1", include_cancelled=True)
    delete_worker_data(db, "w2")
    after = list_records(db, "w1", include_cancelled=True)
    assert after.worker == w1_before.worker
    assert [e.enrollment_no for e in after.enrollments] == [e.enrollment_no for e in w1_before.enrollments]
    assert len(after.teams) == 1


def test_deleted_fields_are_not_left_in_the_raw_files(sqlite_db: Database, db_path) -> None:
    """Not just NULL in SQL: the bytes are gone from the SQLite file and its WAL."""
    _seed_worker_with_everything(sqlite_db)
    assert sqlite_db.scalar("PRAGMA secure_delete") == 1
    delete_worker_data(sqlite_db, "victim")
    files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]
    assert db_path in files
    for path in files:
        content = path.read_bytes()
        for secret in (PHONE, CERTIFICATE, "赵六", "宁波赵氏公司"):
            assert secret.encode() not in content, (path.name, secret)


def test_the_export_holds_everything_about_the_worker_and_nothing_else(db: Database) -> None:
    numbers = _seed_worker_with_everything(db)
    queue_notification(db, "victim", "给赵六的消息")
    data = export_worker_data(db, "victim")
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data  # JSON as it is
    assert data["profile"]["name"] == "赵六" and data["profile"]["phone"] == PHONE  # unmasked: it is theirs
    assert {e["enrollment_no"] for e in data["enrollments"]} == {numbers[k] for k in ("seat", "waiting", "cancelled")}
    assert {a["application_no"] for a in data["subsidy_applications"]} == {numbers["approved"], numbers["pending"]}
    assert [a["staff_note"] for a in data["subsidy_applications"] if a["status"] == "approved"] == ["赵六的材料齐全"]
    assert [t["display_name"] for t in data["reading_teams"]] == ["鄞州区职工读书会"]
    assert [n["text"] for n in data["notifications"]] == ["给赵六的消息"]
    text = json.dumps(data, ensure_ascii=False)
    assert "w1" not in text and "w2" not in text  # nobody else's rows
    delete_worker_data(db, "victim")
    assert export_worker_data(db, "victim") == {
        "profile": None,
        "enrollments": [],
        "reading_teams": [],
        "subsidy_applications": [],
        "notifications": [],
    }
