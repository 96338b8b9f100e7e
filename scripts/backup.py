"""Online, consistent backups of every store, and restoring them onto a fresh place.

    python -m scripts.backup create [目录]                  # default: $UH_BACKUP_DIR or $UH_DATA_DIR/backups/<time>
    python -m scripts.backup verify 目录                     # what is in it (counts), and whether it is intact
    python -m scripts.backup restore 目录 --data-dir 新目录 [--database-url postgresql://…/新库]

What goes in (``manifest.json`` lists every file with its SHA-256 and the rows per table):

* embedded default (SQLite): ``registry.db``, ``handoff.db`` (tickets and the front ends'
  tables), ``tracker.db`` (conversations), ``gaps.db`` (unanswered questions),
  ``documents.db`` (imported notices), ``console.db`` (the console's accounts and audit
  log) — each copied with SQLite's online
  backup API while the bot runs: a consistent image of each file, writers wait a moment
  at most;
* PostgreSQL (``UH_DATABASE_URL``): one ``pg_dump`` of the database (registry, hand-off,
  front ends' tables, gaps, Rasa's tracker) — one snapshot, consistent across all of them —
  plus ``documents.db`` and ``console.db``, which stay SQLite files;
* the staff-edited knowledge files (``UH_KNOWLEDGE_DIR``), as they are the answers.

Restore never overwrites: the target data directory must not hold the stores yet, and the
target PostgreSQL database must be empty (create it first: ``createdb``). Then start the
bot on it (``UH_DATA_DIR`` / ``UH_DATABASE_URL``): every sign-up, application and ticket is
there. The search index is rebuilt from the knowledge files on start.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from common import settings as config
from common.database import masked_url

#: The staff console's accounts and audit log, and the imported notices: SQLite files on both.
SQLITE_ONLY = ("documents.db", "console.db")
SQLITE_STORES = ("registry.db", "handoff.db", "tracker.db", "gaps.db", *SQLITE_ONLY)
#: With PostgreSQL the registry, hand-off, gaps and conversations live in the database.
POSTGRES_FILES = SQLITE_ONLY
DUMP = "union_helper.dump"
MANIFEST = "manifest.json"
KNOWLEDGE = "knowledge"


class BackupError(RuntimeError):
    """Something an operator must fix; the message says what (in Chinese)."""


@dataclass(frozen=True)
class Places:
    data_dir: Path
    database_url: str | None
    knowledge_dir: Path


def _places(settings: config.Settings) -> Places:
    return Places(settings.data_dir, settings.database_url, settings.knowledge_dir)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while others read and write."""
    src = sqlite3.connect(source, timeout=30)  # (a WAL file's readers need its -shm: no mode=ro)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=256)  # in steps: writers are held up for one step at most
        (check,) = dst.execute("PRAGMA integrity_check").fetchone()
        if check != "ok":
            raise BackupError(f"{source.name} 的备份校验失败：{check}")
    finally:
        dst.close()
        src.close()


def pg_program(name: str) -> str:
    """``pg_dump`` / ``pg_restore`` / ``psql``: on the PATH, or Debian's newest."""
    found = shutil.which(name)
    if found:
        return found
    from scripts.scale_services import postgres_bin

    bindir = postgres_bin()
    if bindir is None or not (bindir / name).exists():
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（apt-get install postgresql-client）")
    return str(bindir / name)


def _libpq(url: str) -> str:
    """SQLAlchemy's URL as libpq takes it (no +driver)."""
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


def _pg_tables(cursor: Any) -> dict[str, int]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    counts = {}
    for (table,) in cursor.fetchall():
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _pg_counts(url: str) -> dict[str, int]:
    import psycopg2

    connection = psycopg2.connect(_libpq(url), connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            return _pg_tables(cursor)
    finally:
        connection.close()


def _pg_dump(url: str, dump: Path) -> dict[str, int]:
    """``pg_dump`` of one snapshot, and the rows per table *of that snapshot* (counted in
    the transaction that exported it), so a restore can be checked exactly while the bot
    keeps writing."""
    import psycopg2

    connection = psycopg2.connect(_libpq(url), connect_timeout=10)
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            counts = _pg_tables(cursor)
            result = subprocess.run(
                [pg_program("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--file", str(dump), _libpq(url)],
                capture_output=True,
                text=True,
                timeout=3600,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump 失败：{result.stderr.strip()[-500:]}")
        connection.rollback()
        return counts
    finally:
        connection.close()


def create(places: Places, target: Path) -> dict[str, Any]:
    """Write a backup of every store into ``target`` (a new directory); its manifest."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"备份目录 {target} 不是空的，请换一个目录")
    target.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "mode": "postgresql" if places.database_url else "sqlite",
        "database": masked_url(places.database_url) if places.database_url else None,
        "files": {},
        "tables": {},
    }
    if places.database_url:
        manifest["tables"]["postgresql"] = _pg_dump(places.database_url, target / DUMP)
    names = POSTGRES_FILES if places.database_url else SQLITE_STORES
    for name in names:
        source = places.data_dir / name
        if source.exists():
            _sqlite_copy(source, target / name)
            manifest["tables"][name] = _sqlite_counts(target / name)
    if places.knowledge_dir.is_dir():
        shutil.copytree(places.knowledge_dir, target / KNOWLEDGE, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        manifest["files"][str(path.relative_to(target))] = _sha256(path)
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def verify(source: Path) -> dict[str, Any]:
    """Check every file against the manifest; the manifest if all is well."""
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{source} 里没有 {MANIFEST}，不是本工具做的备份")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name, digest in manifest["files"].items():
        path = source / name
        if not path.exists():
            raise BackupError(f"备份缺少文件 {name}")
        if _sha256(path) != digest:
            raise BackupError(f"备份文件 {name} 已损坏（校验值不符）")
    return manifest


def restore(source: Path, places: Places) -> dict[str, Any]:
    """Put a verified backup onto a fresh data directory (and a fresh, empty database)."""
    manifest = verify(source)
    places.data_dir.mkdir(parents=True, exist_ok=True)
    postgres = manifest["mode"] == "postgresql"
    if postgres and not places.database_url:
        raise BackupError("这是 PostgreSQL 的备份：请用 --database-url 指定一个新建的空数据库")
    names = POSTGRES_FILES if postgres else SQLITE_STORES
    clash = [n for n in names if (places.data_dir / n).exists()]
    if clash:
        raise BackupError(f"{places.data_dir} 里已经有 {'、'.join(clash)}：恢复不会覆盖，请换一个空目录")
    if postgres:
        assert places.database_url is not None
        if _pg_counts(places.database_url):
            raise BackupError(f"数据库 {masked_url(places.database_url)} 不是空的：请先新建一个空库（createdb）")
        result = subprocess.run(
            [
                pg_program("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                _libpq(places.database_url),
                str(source / DUMP),
            ],
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore 失败：{result.stderr.strip()[-500:]}")
        restored = _pg_counts(places.database_url)
        if restored != manifest["tables"]["postgresql"]:
            raise BackupError(f"恢复后的行数与备份不一致：{restored}")
    for name in names:
        if (source / name).exists():
            shutil.copy2(source / name, places.data_dir / name)
    return manifest


def _default_target(settings: config.Settings) -> Path:
    return settings.backups / datetime.now().strftime("%Y%m%d-%H%M%S")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="备份和恢复工会小助手的全部数据（运行中也可以备份）")
    commands = parser.add_subparsers(dest="command", required=True, metavar="命令")
    p = commands.add_parser("create", help="做一次完整备份")
    p.add_argument("dir", nargs="?", type=Path, help="备份到这个新目录（默认 $UH_BACKUP_DIR/时间）")
    p = commands.add_parser("verify", help="检查一份备份是否完整，列出各表行数")
    p.add_argument("dir", type=Path)
    p = commands.add_parser("restore", help="把备份恢复到新的数据目录（和新的空数据库）")
    p.add_argument("dir", type=Path)
    p.add_argument("--data-dir", type=Path, required=True, help="恢复到这个数据目录（UH_DATA_DIR）")
    p.add_argument("--database-url", help="PostgreSQL 备份：恢复到这个新建的空数据库")
    p.add_argument("--knowledge-dir", type=Path, help="同时把知识库文件恢复到这个目录")
    args = parser.parse_args(argv)
    try:
        settings = config.load()
    except config.SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        if args.command == "create":
            target = args.dir or _default_target(settings)
            manifest = create(_places(settings), target)
            print(f"备份完成：{target}（{manifest['mode']}，{len(manifest['files'])} 个文件）")
        elif args.command == "verify":
            manifest = verify(args.dir)
            print(f"备份完整：{args.dir}（{manifest['created_at']}，{manifest['mode']}）")
            for store, tables in manifest["tables"].items():
                print(f"  {store}：" + "，".join(f"{t} {n} 行" for t, n in tables.items()))
        else:
            places = Places(args.data_dir, args.database_url, args.knowledge_dir or settings.knowledge_dir)
            manifest = restore(args.dir, places)
            if args.knowledge_dir and (args.dir / KNOWLEDGE).is_dir():
                shutil.copytree(args.dir / KNOWLEDGE, args.knowledge_dir, dirs_exist_ok=False)
            where = f"UH_DATA_DIR={args.data_dir}"
            if args.database_url:
                where += f" UH_DATABASE_URL={masked_url(args.database_url)}"
            print(f"恢复完成：用 {where} 启动即可。")
    except BackupError as error:
        print(f"失败：{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
