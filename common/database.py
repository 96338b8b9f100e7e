"""One way into SQL for every store that is not a cache: SQLite files by default,
PostgreSQL when ``UH_DATABASE_URL`` says so.

Why one module: the registry, the hand-off store and the front ends' own tables each own
their tables, but they must behave the same on both databases — the same transactions,
the same locking, the same migrations, the same errors. Each owner writes its queries
once, as portable SQL with named parameters (``:sender``), and this module runs them.

* :class:`Database` is a handle on one store (a URL). It holds no connection between
  calls: every statement outside a transaction, and every :meth:`Database.transaction`,
  takes a pooled connection and gives it back, so a long-lived handle (a front end's)
  survives a database restart and a short-lived one (an action's) costs nothing.
* SQLite: ``BEGIN IMMEDIATE`` for writes (the write lock is taken before the first read,
  so read-check-write sequences are atomic across processes), WAL, ``synchronous=NORMAL``,
  foreign keys, ``secure_delete`` (deleted personal data is zeroed), a busy timeout.
* PostgreSQL: READ COMMITTED; what SQLite gets from its one write lock, PostgreSQL gets
  from row locks (:meth:`Database.lock_row`, ``INSERT … ON CONFLICT`` on the row that is
  contended), bounded by ``lock_timeout``. Connections are checked before use
  (``pool_pre_ping``), so a restarted server costs no failed request.
* Errors are the driver's own (``sqlite3.Error`` / ``psycopg2.Error``: :data:`DRIVER_ERRORS`),
  not SQLAlchemy's wrappers, so callers keep catching what they caught before.
* :class:`Migrations` records applied schema changes per store in ``uh_migrations``
  (and accepts those sqlite-utils recorded in ``_sqlite_migrations`` before).
* :func:`retrying` re-runs a whole store function when PostgreSQL went away or resolved a
  deadlock in the middle of it (never inside an outer transaction, never on SQLite).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.pool import NullPool, QueuePool, StaticPool

try:  # psycopg2 comes with Rasa; an install without it still runs on SQLite
    import psycopg2

    _PG_ERRORS: tuple[type[BaseException], ...] = (psycopg2.Error,)
except ImportError:  # pragma: no cover
    _PG_ERRORS = ()

__all__ = [
    "DRIVER_ERRORS",
    "Database",
    "store_for",
    "Migrations",
    "Result",
    "TransactionInProgress",
    "dispose_engines",
    "is_transient",
    "masked_url",
    "retrying",
    "sqlite_path",
]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

#: What a store call raises when the database refuses (catch these, not SQLAlchemy's).
DRIVER_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, *_PG_ERRORS)
#: Seconds before a PostgreSQL statement waiting for a row lock gives up (like SQLite's
#: busy timeout), and before an unreachable server counts as down.
PG_LOCK_TIMEOUT_MS = 30_000
PG_STATEMENT_TIMEOUT_MS = 60_000
PG_CONNECT_TIMEOUT_S = 5
#: Waits between the attempts of :func:`retrying` (about 10 s in all: a restart).
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 3.0, 3.0)
#: PostgreSQL error classes worth running the whole function again for: the connection
#: (08), the server shutting down or starting (57P01-57P03), a deadlock or a
#: serialisation failure (40001, 40P01).
_TRANSIENT_PGCODES = ("08", "57P01", "57P02", "57P03", "40001", "40P01")


class TransactionInProgress(RuntimeError):
    """A transaction was started on a handle that is already in one."""


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///…`` URL (None for PostgreSQL or an in-memory database)."""
    if not url.startswith("sqlite:///"):
        return None
    rest = url[len("sqlite:///") :].split("?", 1)[0]
    if rest.startswith("file:"):
        rest = rest[len("file:") :]
    return Path(rest) if rest and rest != ":memory:" else None


def store_for(location: str | os.PathLike[str], configured_file: Path, database_url: str | None) -> str:
    """The store behind ``location``: a URL as it is; a path is that SQLite file — except
    the settings' own file of this store (``configured_file``), which stands for the
    configured store (``database_url``, PostgreSQL, when set). So callers that pass the
    settings' path (the staff CLI, the console, a front end) look where the servers write."""
    text = os.fspath(location)
    if text.startswith(("postgresql", "sqlite:")):
        return text
    path = Path(text)
    if database_url and path.resolve() == configured_file.resolve():
        return database_url
    return f"sqlite:///{path}"


def masked_url(url: str) -> str:
    """The URL with its password replaced, for logs and messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


# ---------------------------------------------------------------- engines


_ENGINES: dict[tuple[str, bool, int], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _sqlite_connect(dbapi_connection: Any, record: Any, read_only: bool) -> None:
    # We issue BEGIN ourselves (see _sqlite_begin): pysqlite's own implicit BEGIN would
    # be a deferred one, taken only at the first write.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: no corruption on a crash
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    info = conn.info
    busy_ms = int(info.get("uh_busy_ms", 30_000))
    if info.get("uh_busy_set") != busy_ms:
        cursor = conn.connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        finally:
            cursor.close()
        info["uh_busy_set"] = busy_ms
    conn.exec_driver_sql("BEGIN IMMEDIATE" if info.get("uh_write", True) else "BEGIN")


def _new_engine(url: str, read_only: bool) -> Engine:
    if url.startswith("sqlite"):
        memory = sqlite_path(url) is None
        if read_only and not memory:
            path = sqlite_path(url)
            url = f"sqlite:///file:{path}?mode=ro&uri=true"
        engine = sa.create_engine(
            url,
            future=True,
            poolclass=StaticPool if memory else (NullPool if read_only else QueuePool),
            connect_args={"check_same_thread": False, "timeout": 30},
            **({} if memory or read_only else {"pool_size": 4, "max_overflow": 12, "pool_timeout": 60}),
        )
        event.listen(engine, "connect", lambda c, r: _sqlite_connect(c, r, read_only))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    options = f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}"
    if read_only:
        options += " -c default_transaction_read_only=on"
    return sa.create_engine(
        url,
        future=True,
        pool_size=4,
        max_overflow=12,
        pool_timeout=60,
        pool_pre_ping=True,  # a restarted server: the stale connection is replaced, not used
        pool_recycle=1800,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S, "options": options, "application_name": "union-helper"},
    )


def engine_for(url: str, *, read_only: bool = False) -> Engine:
    """The process's engine (connection pool) for ``url``; one per URL and process, so
    every handle on a store shares the pool. In-memory SQLite gets a fresh one each time."""
    if url.startswith("sqlite") and sqlite_path(url) is None:
        return _new_engine(url, read_only)
    key = (url, read_only, os.getpid())  # a forked child must not reuse its parent's sockets
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = _new_engine(url, read_only)
        return engine


def dispose_engines(url: str | None = None) -> None:
    """Close pooled connections (all, or those of ``url``): before deleting or replacing a
    SQLite file (a restore), and in tests."""
    with _ENGINES_LOCK:
        for key in [k for k in _ENGINES if url is None or k[0] == url]:
            _ENGINES.pop(key).dispose()


# ---------------------------------------------------------------- results


class Result:
    """What a statement returned, fetched completely (the connection is already back in
    the pool): rows (tuples that also index by column name) and the row count."""

    def __init__(self, rows: list[Row], rowcount: int, keys: list[str]) -> None:
        self.rows = rows
        self.rowcount = rowcount
        self.keys = keys

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def fetchone(self) -> Row | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[Row]:
        return list(self.rows)

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def mappings(self) -> list[dict[str, Any]]:
        return [dict(row._mapping) for row in self.rows]

    def first(self) -> dict[str, Any] | None:
        return dict(self.rows[0]._mapping) if self.rows else None


class TableView:
    """``db["workers"].rows`` / ``.count``: a quick look at a whole table (tests, staff
    tools); the owners' functions are the way to read a store."""

    def __init__(self, db: Database, name: str) -> None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"not a table name: {name!r}")
        self.db = db
        self.name = name

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.db.query(f"SELECT * FROM {self.name}")

    @property
    def count(self) -> int:
        return int(self.db.scalar(f"SELECT COUNT(*) FROM {self.name}"))


_POSITIONAL = re.compile(r"\?")
_READ_ONLY_STATEMENT = re.compile(r"^\s*(SELECT|WITH|EXPLAIN|PRAGMA\s+\w+\s*(\(|$))", re.IGNORECASE)


def _statement(sql: str | sa.sql.ClauseElement, params: Mapping[str, Any] | Sequence[Any] | None) -> tuple[Any, dict]:
    """A text statement with named parameters (``?`` placeholders are numbered for the
    callers that still pass a list)."""
    if not isinstance(sql, str):
        return sql, dict(params or {})
    if params is None or isinstance(params, Mapping):
        return sa.text(sql), dict(params or {})
    values = list(params)
    counter = iter(range(len(values)))
    named = _POSITIONAL.sub(lambda _m: f":p{next(counter)}", sql)
    return sa.text(named), {f"p{i}": value for i, value in enumerate(values)}


def _unwrapped(error: sa_exc.DBAPIError) -> BaseException:
    """The driver's own exception behind SQLAlchemy's wrapper (callers catch those)."""
    original = error.orig
    return original if isinstance(original, BaseException) else error


# ---------------------------------------------------------------- the handle


class Database:
    """A handle on one store. Not for two threads at once; cheap to make (the pool is
    shared per URL and process).

    ``busy_timeout`` (seconds) is how long a write waits for another writer: SQLite's busy
    timeout, PostgreSQL's ``lock_timeout`` (default :data:`PG_LOCK_TIMEOUT_MS`).
    """

    def __init__(self, url: str, *, busy_timeout: float = 30.0, read_only: bool = False) -> None:
        self.url = url
        self.read_only = read_only
        self.busy_timeout = busy_timeout
        self.engine = engine_for(url, read_only=read_only)
        self.dialect: str = self.engine.dialect.name
        self._conn: Connection | None = None
        self._closed = False

    # ------------------------------------------------------------ identity

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def path(self) -> Path | None:
        """The SQLite file, if this store is one."""
        return sqlite_path(self.url)

    def __repr__(self) -> str:
        return f"Database({masked_url(self.url)!r})"

    # ------------------------------------------------------------ transactions

    @property
    def in_transaction(self) -> bool:
        return self._conn is not None

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Database]:
        """One transaction, committed at the end, rolled back on any exception. SQLite
        takes its write lock at the start (``BEGIN IMMEDIATE``) unless ``write=False``."""
        if self._conn is not None:
            raise TransactionInProgress("store transactions cannot be nested")
        try:
            conn = self.engine.connect()
        except sa_exc.DBAPIError as error:
            raise _unwrapped(error) from error
        try:
            if self.is_sqlite:
                conn.info["uh_write"] = write and not self.read_only
                conn.info["uh_busy_ms"] = int(self.busy_timeout * 1000)
            try:
                trans = conn.begin()
            except sa_exc.DBAPIError as error:
                raise _unwrapped(error) from error
            self._conn = conn
            if self.is_postgres and int(self.busy_timeout * 1000) != PG_LOCK_TIMEOUT_MS:
                lock_ms = max(1, int(self.busy_timeout * 1000))  # 0 would mean "wait forever"
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{lock_ms}ms'")
            try:
                yield self
            except BaseException:
                self._conn = None
                with contextlib.suppress(Exception):
                    trans.rollback()
                raise
            self._conn = None
            try:
                trans.commit()
            except sa_exc.DBAPIError as error:
                with contextlib.suppress(Exception):
                    trans.rollback()
                raise _unwrapped(error) from error
            except BaseException:
                with contextlib.suppress(Exception):
                    trans.rollback()
                raise
        finally:
            self._conn = None
            conn.close()

    # ------------------------------------------------------------ statements

    def execute(
        self, sql: str | sa.sql.ClauseElement, params: Mapping[str, Any] | Sequence[Any] | None = None
    ) -> Result:
        """Run one statement (portable SQL, ``:name`` parameters). Inside
        :meth:`transaction` it joins it; outside, it is a transaction of its own."""
        if self._closed:
            raise RuntimeError("this store handle was closed")
        statement, values = _statement(sql, params)
        if self._conn is None:
            write = not (isinstance(sql, str) and _READ_ONLY_STATEMENT.match(sql))
            with self.transaction(write=write):
                return self.execute(statement, values)
        try:
            cursor = self._conn.execute(statement, values)
        except sa_exc.DBAPIError as error:
            raise _unwrapped(error) from error
        if cursor.returns_rows:
            keys = list(cursor.keys())
            rows = list(cursor.fetchall())
        else:
            keys, rows = [], []
        return Result(rows, cursor.rowcount, keys)

    def query(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """Rows as dicts."""
        return self.execute(sql, params).mappings()

    def one(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> dict[str, Any] | None:
        """The first row as a dict, or None."""
        return self.execute(sql, params).first()

    def scalar(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> Any:
        return self.execute(sql, params).scalar()

    def lock_row(self, table: str, column: str, value: Any) -> bool:
        """Inside a write transaction: lock one row until the commit (PostgreSQL
        ``SELECT … FOR UPDATE``; SQLite's write lock covers it already). Whoever takes
        the same row next waits, and then reads what this transaction committed. False
        if there is no such row."""
        query = (
            sa.select(sa.column(column))
            .select_from(sa.table(table))
            .where(sa.column(column) == sa.bindparam("value"))
            .with_for_update()
        )
        return bool(self.execute(query, {"value": value}).rows)

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database file and empty it (after
        deleting personal data, whose old page images live on in the log). Outside any
        transaction, best effort (a reader elsewhere can hold it back). PostgreSQL: nothing
        to do — autovacuum reclaims old row versions."""
        if not self.is_sqlite or self.read_only:
            return
        with self.engine.connect() as conn:
            cursor = conn.connection.cursor()  # the driver's, so no BEGIN is sent
            try:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                log.debug("WAL checkpoint did not complete", exc_info=True)
            finally:
                cursor.close()

    # ------------------------------------------------------------ schema

    def table_names(self) -> list[str]:
        if self._conn is not None:
            try:
                return sorted(sa.inspect(self._conn).get_table_names())
            except sa_exc.DBAPIError as error:
                raise _unwrapped(error) from error
        with self.transaction(write=False):
            return self.table_names()

    def has_table(self, name: str) -> bool:
        return name in self.table_names()

    def create_tables(self, metadata: sa.MetaData, *names: str) -> None:
        """Inside a migration: create these tables of ``metadata`` (with their indexes),
        in the DDL of this database."""
        assert self._conn is not None, "create_tables runs inside a transaction"
        tables = [metadata.tables[name] for name in names]
        metadata.create_all(self._conn, tables=tables)

    @property
    def serial_primary_key(self) -> str:
        """The column definition of an integer key that numbers new rows by itself."""
        return "INTEGER PRIMARY KEY" if self.is_sqlite else "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"

    def script(self, sql: str) -> None:
        """Inside a migration: run DDL statements separated by ``;`` (``--`` comments
        allowed), passed to the driver as written (no parameters)."""
        assert self._conn is not None, "script runs inside a transaction"
        without_comments = re.sub(r"--[^\n]*", "", sql)
        for statement in (part.strip() for part in without_comments.split(";")):
            if statement:
                if self.is_postgres:  # psycopg2 formats the statement: a literal % is %%
                    statement = statement.replace("%", "%%")
                try:
                    self._conn.exec_driver_sql(statement)
                except sa_exc.DBAPIError as error:
                    raise _unwrapped(error) from error

    def __getitem__(self, table: str) -> TableView:
        return TableView(self, table)

    # ------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Forget the handle (the pool stays for the next one)."""
        self._closed = True

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- retries


def is_transient(error: BaseException) -> bool:
    """A PostgreSQL failure that another attempt of the whole function may not meet: the
    connection or the server went away, or a deadlock / serialisation failure."""
    if not _PG_ERRORS or not isinstance(error, _PG_ERRORS):
        return False
    code = getattr(error, "pgcode", None)
    if code is None:  # no answer from the server at all: connection refused or lost
        return isinstance(error, psycopg2.OperationalError | psycopg2.InterfaceError)
    return str(code).startswith(_TRANSIENT_PGCODES)


def retrying(fn: Callable[P, T]) -> Callable[P, T]:
    """Run a store function again (up to ~10 s) when PostgreSQL failed transiently.

    For functions whose first argument is a :class:`Database` and that do their work in
    transactions of their own: a failed transaction was rolled back, so running the
    function again is safe (a commit whose answer was lost is the one exception: the
    functions check before they write, so a repeated enroll finds ``already``). Not
    inside an outer transaction (the caller's transaction is broken: it must retry).
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        db = args[0] if args else None
        delays = iter(RETRY_DELAYS)
        while True:
            try:
                return fn(*args, **kwargs)
            except DRIVER_ERRORS as error:
                if not isinstance(db, Database) or db.in_transaction or not is_transient(error):
                    raise
                delay = next(delays, None)
                if delay is None:
                    raise
                log.warning("%s: %s; trying again in %.1f s", fn.__name__, str(error).strip()[:200], delay)
                time.sleep(delay)

    return wrapper


# ---------------------------------------------------------------- migrations


MIGRATIONS_TABLE = "uh_migrations"
LOCKS_TABLE = "uh_locks"
_LEGACY_TABLE = "_sqlite_migrations"  # sqlite-utils' record, from before this module


class Migrations:
    """Schema changes of one store, applied in order, each recorded once.

    ``@MIGRATIONS(name="0001_tables")`` registers ``fn(db)``; :meth:`apply` runs the
    pending ones in one write transaction (on PostgreSQL under an advisory lock, so two
    processes starting at once migrate once). DDL is transactional on both databases:
    a failed migration leaves nothing behind.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._steps: list[tuple[str, Callable[[Database], None]]] = []

    def __call__(self, *, name: str) -> Callable[[Callable[[Database], None]], Callable[[Database], None]]:
        def register(fn: Callable[[Database], None]) -> Callable[[Database], None]:
            if any(step == name for step, _ in self._steps):
                raise ValueError(f"migration {name!r} registered twice in {self.name!r}")
            self._steps.append((name, fn))
            return fn

        return register

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._steps]

    def applied(self, db: Database) -> list[str]:
        """Names already applied (read only: writes nothing)."""
        tables = set(db.table_names())
        done: list[str] = []
        for table in (MIGRATIONS_TABLE, _LEGACY_TABLE):
            if table in tables:
                rows = db.query(f"SELECT name FROM {table} WHERE migration_set = :set", {"set": self.name})
                done += [row["name"] for row in rows if row["name"] not in done]
        order = {name: index for index, name in enumerate(self.names)}
        return sorted(done, key=lambda name: order.get(name, len(order)))

    def pending(self, db: Database) -> list[str]:
        done = set(self.applied(db))
        return [name for name in self.names if name not in done]

    def is_current(self, db: Database) -> bool:
        return not self.pending(db)

    def apply(self, db: Database, *, stop_before: str | None = None) -> list[str]:
        """Apply what is pending (up to, not including, ``stop_before``); returns the
        names applied now."""
        if not self.pending(db):
            return []
        with db.transaction(write=True):
            if db.is_postgres:
                db.execute("SELECT pg_advisory_xact_lock(:key)", {"key": zlib.crc32(self.name.encode())})
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
                "migration_set TEXT NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL, "
                "PRIMARY KEY (migration_set, name))"
            )
            # Named rows to lock (common.outbox serialises claims on them).
            db.execute(f"CREATE TABLE IF NOT EXISTS {LOCKS_TABLE} (name TEXT PRIMARY KEY)")
            done = set(self.applied(db))
            ran = []
            for name, fn in self._steps:
                if name == stop_before:
                    break
                if name in done:
                    continue
                fn(db)
                db.execute(
                    f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name, applied_at) VALUES (:set, :name, :at)",
                    {"set": self.name, "name": name, "at": datetime.now(timezone.utc).isoformat()},
                )
                ran.append(name)
        if ran:
            log.info("%s: applied %s on %s", self.name, ", ".join(ran), masked_url(db.url))
        return ran
