"""Reading-team memberships. A team is keyed by district or employer:
``district:海曙区``, ``employer:宁波XX公司``."""

from __future__ import annotations

from common.clock import Clock
from common.database import retrying
from registry.counters import bump
from registry.database import Database, now, write_transaction
from registry.models import ReadingTeam, TeamMembership, TeamResult

__all__ = [
    "district_team",
    "employer_team",
    "get_teams",
    "join_reading_team",
    "leave_reading_team",
    "list_teams",
    "team_members",
]


def district_team(district: str) -> ReadingTeam:
    """The team of an (already normalized) district, e.g. 海曙区职工读书会."""
    return ReadingTeam(f"district:{district}", f"{district}职工读书会")


def employer_team(employer: str) -> ReadingTeam:
    """The team of an (already normalized) employer, e.g. 宁波XX公司读书会."""
    return ReadingTeam(f"employer:{employer}", f"{employer}读书会")


def _check_team_id(team_id: str) -> None:
    kind, _, value = team_id.partition(":")
    if kind not in ("district", "employer") or not value.strip():
        raise ValueError(f"team_id must be 'district:<name>' or 'employer:<name>': {team_id!r}")


@retrying
def join_reading_team(
    db: Database, sender_id: str, team_id: str, display_name: str | None = None, *, clock: Clock | None = None
) -> TeamResult:
    """Add the worker to a team (created on first use). ``display_name`` names a new team
    and renames an existing one; by default ``district_team``/``employer_team`` naming."""
    _check_team_id(team_id)
    kind, _, value = team_id.partition(":")
    default = district_team(value) if kind == "district" else employer_team(value)
    stamp = now(clock)
    with write_transaction(db):
        if not db.scalar("SELECT 1 FROM workers WHERE sender_id = :sender", {"sender": sender_id}):
            return TeamResult("not_registered")
        db.execute(
            "INSERT INTO reading_teams (team_id, display_name, created_at) VALUES (:team, :name, :stamp) "
            "ON CONFLICT (team_id) DO NOTHING",
            {"team": team_id, "name": display_name or default.display_name, "stamp": stamp},
        )
        if display_name:
            db.execute(
                "UPDATE reading_teams SET display_name = :name WHERE team_id = :team",
                {"name": display_name, "team": team_id},
            )
        name = db.scalar("SELECT display_name FROM reading_teams WHERE team_id = :team", {"team": team_id})
        team = ReadingTeam(team_id, name)
        inserted = db.execute(
            "INSERT INTO team_members (team_id, sender_id, joined_at) VALUES (:team, :sender, :stamp) "
            "ON CONFLICT (team_id, sender_id) DO NOTHING",
            {"team": team_id, "sender": sender_id, "stamp": stamp},
        ).rowcount
        if not inserted:
            return TeamResult("already", team)
        bump(db, "reading_teams.joined", team_id)
    return TeamResult("joined", team)


@retrying
def leave_reading_team(db: Database, sender_id: str, team_id: str) -> TeamResult:
    member = {"team": team_id, "sender": sender_id}
    with write_transaction(db):
        name = db.scalar(
            "SELECT t.display_name FROM team_members m JOIN reading_teams t USING (team_id) "
            "WHERE m.team_id = :team AND m.sender_id = :sender",
            member,
        )
        if name is None:
            return TeamResult("not_member")
        db.execute("DELETE FROM team_members WHERE team_id = :team AND sender_id = :sender", member)
    return TeamResult("left", ReadingTeam(team_id, name))


@retrying
def get_teams(db: Database, sender_id: str) -> list[TeamMembership]:
    """The worker's own team memberships."""
    rows = db.query(
        "SELECT m.team_id, t.display_name, m.sender_id, m.joined_at FROM team_members m "
        "JOIN reading_teams t USING (team_id) WHERE m.sender_id = :sender ORDER BY m.joined_at, m.team_id",
        {"sender": sender_id},
    )
    return [TeamMembership(ReadingTeam(r["team_id"], r["display_name"]), r["sender_id"], r["joined_at"]) for r in rows]


@retrying
def list_teams(db: Database) -> list[tuple[ReadingTeam, int]]:
    """Staff: every team with its member count."""
    rows = db.query(
        "SELECT t.team_id, t.display_name, COUNT(m.sender_id) AS members "
        "FROM reading_teams t LEFT JOIN team_members m USING (team_id) "
        "GROUP BY t.team_id, t.display_name ORDER BY t.team_id"
    )
    return [(ReadingTeam(r["team_id"], r["display_name"]), int(r["members"])) for r in rows]


@retrying
def team_members(db: Database, team_id: str) -> list[tuple[str, str, str]]:
    """Staff: ``(name, phone, joined_at)`` of each member, for contacting them."""
    rows = db.query(
        "SELECT w.name, w.phone, m.joined_at FROM team_members m "
        "JOIN workers w USING (sender_id) WHERE m.team_id = :team ORDER BY m.joined_at, w.sender_id",
        {"team": team_id},
    )
    return [(r["name"], r["phone"], r["joined_at"]) for r in rows]
