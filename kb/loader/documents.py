"""PostgreSQL: the search tables of a bulk load, built on a second connection while the load's
own transaction goes on writing.

A load into an empty searchable table writes the table's rows first and their search table
(`<table>_fts`: a tsvector per row, GIN-indexed) after. The load's transaction runs on one
server backend, and most of what it does is serial (INSERT … SELECT, index builds), so on a
machine with a few CPUs one of them idles through the writing; computing the documents
(`to_tsvector`), writing them and building their GIN index took a fifth of a million-fact load.

So once a table's rows are in, the load copies out each row's id and the arguments of its
document function (`COPY … TO STDOUT`) and hands them to a helper thread with a connection of
its own. The helper cannot see the load's uncommitted rows, functions or tables (a first load
migrates in its transaction), so it takes the function's definition and the search table's
shape (columns, constraints, indexes) from the load's catalog and builds a complete search
table in a schema of its own, `kb_loading_<its backend's pid>`: documents, keys, GIN index.
It commits that table, and the load's transaction, at the end of the merge, drops its own
empty search table and moves the helper's into its place (`ALTER TABLE … SET SCHEMA`), with
the old one's comments, grants and owner: a change of catalog rows, not of data.

So the load stays one transaction: until it commits, nobody sees the new search tables in
kb's schema (the helper's schema grants nothing to anyone else), and if it rolls back they go
back to the helper's schema. After the load's transaction ends, the helper drops its schema,
with whatever is left in it; a schema left by a load that was killed is dropped by the next
load (any load, as it ends), once no backend has its pid.

If the helper cannot build a table's search table (it cannot connect or make its schema, the
server refuses a temporary function, the search table has a foreign key or a trigger it could
not carry over), the load computes the documents in its own transaction as before: the same
function on the same server gives the same documents either way.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool, QueuePool

from kb.db import driver_copy
from kb.search.index import fts_table, pg_document_inputs

# Rows of a table below which its documents are computed in the load's transaction: a second
# connection costs more than the work it would take over (10,000 documents take about 0.1 s).
HELPED_FROM = 10_000
# The helper's schema: this prefix and its backend's pid.
SCHEMA_PREFIX = "kb_loading_"
# The dollar-quote tag around the function body the helper makes again.
_TAG = "$kb_document$"
# A chunk of a copy, read from or written to a file.
_CHUNK = 1 << 20

# The shape of a search table as the load's catalog defines it, or no row when the helper
# could not carry all of it over (a column default, a foreign key, a trigger, a rule, a view
# that depends on it): its columns, and its constraints as ALTER TABLE clauses.
_SHAPE = """
SELECT
  (SELECT string_agg(format('%I %s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                            CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END),
                     ', ' ORDER BY a.attnum)
   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
  array(SELECT format('ADD CONSTRAINT %I %s', k.conname, pg_get_constraintdef(k.oid))
        FROM pg_constraint k WHERE k.conrelid = c.oid ORDER BY k.conname)
FROM pg_class c
WHERE c.oid = to_regclass(:name) AND c.relkind = 'r' AND c.relpersistence = 'p'
  AND NOT c.relhastriggers AND NOT c.relhasrules
  AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.atthasdef)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refobjid = c.oid
                  AND d.classid = 'pg_rewrite'::regclass)
"""
# What a search table keeps when the helper's takes its place: its schema, and the statements
# that give the new one its comments, grants and owner (in that order: the owner grants).
_KEPT = """
SELECT c.relnamespace::regnamespace::text, array(
  SELECT statement FROM (
    SELECT 1, format('COMMENT ON TABLE %s IS %L', c.oid::regclass, d.description)
    FROM pg_description d
    WHERE d.classoid = 'pg_class'::regclass AND d.objoid = c.oid AND d.objsubid = 0
    UNION ALL
    SELECT 2, format('COMMENT ON COLUMN %s.%I IS %L', c.oid::regclass, a.attname, d.description)
    FROM pg_description d JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
    WHERE d.classoid = 'pg_class'::regclass AND d.objoid = c.oid AND d.objsubid > 0
    UNION ALL
    SELECT 3, format('GRANT %s ON %s TO %s%s', g.privilege_type, c.oid::regclass,
                     CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                          ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
                     CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
    FROM aclexplode(c.relacl) g WHERE g.grantee <> c.relowner
    UNION ALL
    SELECT 4, format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, pg_get_userbyid(c.relowner))
    WHERE pg_get_userbyid(c.relowner) <> current_user
  ) s (step, statement) ORDER BY step, statement)
FROM pg_class c WHERE c.oid = to_regclass(:name)
"""


@dataclass(frozen=True)
class _Function:
    """A document function as the load's catalog defines it."""

    arguments: str  # as pg_get_function_arguments gives them: "name text, evidence text"
    types: list[str]  # the arguments' types, in order
    result: str
    language: str  # quoted
    body: str


@dataclass(frozen=True)
class _Build:
    """What the helper needs to build one search table."""

    table: str  # the searchable table
    function: _Function
    columns: str  # the search table's, as CREATE TABLE takes them
    constraints: list[str]  # ALTER TABLE clauses
    indexes: list[str]  # CREATE INDEX statements, on kb's search table


@dataclass
class DocumentHelper:
    """Builds the search tables of the tables a load fills, on a connection of its own.

    Opened around the load's transaction and closed after it ends, so that it can drop its
    schema once the load has committed (or rolled back) what it moved.
    """

    engine: Engine
    # Whether to drop the schemas killed loads left: not in a dry run, which changes nothing.
    sweep: bool = True
    _executor: ThreadPoolExecutor | None = None
    _helper: Connection | None = None  # opened and used by the helper thread
    _schema: str | None = None  # the helper's schema, once made
    _pending: dict[str, Future[None]] = field(default_factory=dict)
    _files: list[IO[bytes]] = field(default_factory=list)
    _tried: bool = False  # _start() has run: the helper is open, or the load does without

    def submit(self, connection: Connection, table: str, rows: int, indexes: list[str]) -> bool:
        """Hand `table`'s search table (its rows just written on the load's `connection`) to
        the helper, with the statements that make its indexes; False if the load should
        compute the documents itself (a small table, or a shape the helper cannot copy)."""
        if rows < HELPED_FROM:
            return False
        build = _build(connection, table, indexes)
        if build is None or not self._start():
            return False
        inputs = self._file()
        _copy_out(connection, f"COPY ({pg_document_inputs(table)}) TO STDOUT", inputs)
        assert self._executor is not None  # started
        self._pending[table] = self._executor.submit(self._compute, build, inputs)
        return True

    def move(self, connection: Connection, table: str) -> bool:
        """In the load's transaction, put the helper's search table of `table` in place of
        the load's; False if the helper could not build it or the load could not move it (the
        load then computes the documents itself)."""
        job = self._pending.pop(table)
        try:
            job.result()
        except Exception:  # any failure of the helper: the load does the work itself
            return False
        assert self._schema is not None  # made by _start()
        try:
            with connection.begin_nested():  # a refusal leaves the load's table as it was
                _replace(connection, fts_table(table), self._schema)
        except DBAPIError:
            return False
        return True

    def _start(self) -> bool:
        """Open the helper's connection, schema and thread, once; False if the server refuses
        them, or if the engine's pool may hand out the load's own connection (StaticPool, say,
        whose one connection the helper would share and, closing it, roll back)."""
        if not self._tried:
            self._tried = True
            if isinstance(self.engine.pool, QueuePool | NullPool):
                try:
                    # Opened here, so that close() can always cancel what it runs; used only
                    # by the helper's thread from now on.
                    helper = self.engine.connect()
                except DBAPIError:  # no connection to spare, say: the load does the work
                    return False
                try:
                    self._schema = _make_schema(helper, sweep=self.sweep)
                except DBAPIError:  # no right to make a schema, say
                    helper.close()
                    return False
                self._helper = helper
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="kb-documents")
        return self._executor is not None

    def close(self) -> None:
        """Stop the helper (cancelling what it is computing), drop its schema and remove its
        files; after the load's transaction has ended."""
        if self._executor is not None:
            self._stop(self._executor)
            self._executor = None
        if self._helper is not None:
            self._drop_schema(self._helper)
            # Closed rather than pooled: its session's temporary objects go with it.
            self._helper.detach()
            self._helper.close()
            self._helper = None
        for file in self._files:
            file.close()
        self._files.clear()
        self._pending.clear()

    def _stop(self, executor: ThreadPoolExecutor) -> None:
        """Cancel the helper's query if it is still computing, and wait for its thread."""
        helper = self._helper
        if helper is not None and any(not job.done() for job in self._pending.values()):
            driver = helper.connection.driver_connection
            try:
                if driver is not None:
                    driver.cancel_safe()
            except helper.dialect.loaded_dbapi.Error:
                # At best a shortcut: without it, the shutdown below waits for the query,
                # and the load's own error, not this one, is what the user must see.
                pass
        executor.shutdown(wait=True, cancel_futures=True)

    def _drop_schema(self, helper: Connection) -> None:
        """Drop the helper's schema and what the load did not move out of it."""
        try:
            helper.rollback()  # out of a cancelled or failed build
            if self._schema is not None:
                helper.exec_driver_sql(f"DROP SCHEMA IF EXISTS {self._schema} CASCADE")
                helper.commit()
        except DBAPIError:
            # The connection is gone, say: the next load drops the schema, once no backend
            # has its pid.
            pass

    def __enter__(self) -> DocumentHelper:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close()
        # A helper that made its schema swept as it did (_make_schema).
        postgresql = self.engine.dialect.name == "postgresql"
        if kind is None and self.sweep and self._schema is None and postgresql:
            self._sweep()

    def _sweep(self) -> None:
        """After a load: drop the schemas killed loads left, on a connection of the pool (the
        load's own, given back). Every load does, whether or not its helper started (a reload
        seldom fills a table from empty)."""
        try:
            with self.engine.connect() as connection:
                drop_stale_schemas(connection)
        except DBAPIError:
            # The server went away, say: the load has ended well, and the next one sweeps.
            pass

    def _file(self) -> IO[bytes]:
        """A new temporary file, removed once read, or at the latest by close()."""
        file = tempfile.TemporaryFile(prefix="kb-documents-")  # noqa: SIM115 (closed by close())
        self._files.append(file)
        return file

    def _compute(self, build: _Build, inputs: IO[bytes]) -> None:
        """In the helper thread: build and commit the search table of `build.table` in the
        helper's schema from the rows in `inputs`."""
        helper = self._helper
        assert helper is not None and self._schema is not None  # made by _start()
        try:
            self._build_search_table(helper, self._schema, build, inputs)
        except BaseException:
            helper.rollback()  # a failed table leaves the helper fit for the next one
            raise
        helper.commit()

    @staticmethod
    def _build_search_table(
        helper: Connection, schema: str, build: _Build, inputs: IO[bytes]
    ) -> None:
        """The statements of _compute(), in the helper's transaction."""
        table, function = build.table, build.function
        columns = [f"a{i}" for i in range(1, len(function.types) + 1)]
        definitions = ", ".join(
            f"{c} {kind}" for c, kind in zip(columns, function.types, strict=True)
        )
        document = f"pg_temp.{table}_fts_document"
        helper.exec_driver_sql(
            f"CREATE FUNCTION {document}({function.arguments}) "
            f"RETURNS {function.result} LANGUAGE {function.language} IMMUTABLE "
            f"AS {_TAG}{function.body}{_TAG}"
        )
        inputs_table = f"kb_{table}_document_inputs"
        helper.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {inputs_table} (id integer, {definitions}) ON COMMIT DROP"
        )
        with inputs:
            _copy_in(helper, f"COPY {inputs_table} FROM STDIN", inputs)
        target = f"{schema}.{fts_table(table)}"
        helper.exec_driver_sql(f"CREATE TABLE {target} ({build.columns})")
        helper.exec_driver_sql(
            f"INSERT INTO {target} (id, document) "  # noqa: S608 (kb's own names)
            f"SELECT id, {document}({', '.join(columns)}) FROM {inputs_table}"
        )
        # Keys and indexes after the rows, as the load would build them.
        for constraint in build.constraints:
            helper.exec_driver_sql(f"ALTER TABLE {target} {constraint}")
        for index in build.indexes:
            head, tail = index.split(" USING ", 1)
            helper.exec_driver_sql(f"{head.split(' ON ', 1)[0]} ON {target} USING {tail}")
        helper.exec_driver_sql(f"ANALYZE {target}")  # statistics move with the table
        helper.exec_driver_sql(f"DROP FUNCTION {document}({', '.join(function.types)})")


def _make_schema(helper: Connection, *, sweep: bool = True) -> str:
    """Make the helper's schema, after dropping any a killed load left behind (if `sweep`);
    its name.

    A schema is stale when no other backend has its pid: one named for the helper's own pid
    can only be a dead backend's whose pid the server gave again.
    """
    pid = helper.execute(text("SELECT pg_backend_pid()")).scalar_one()
    if sweep:
        drop_stale_schemas(helper)
    schema = f"{SCHEMA_PREFIX}{pid}"
    try:
        helper.exec_driver_sql(f"CREATE SCHEMA {schema}")
        helper.commit()
    except DBAPIError:
        helper.rollback()
        raise
    return schema


def drop_stale_schemas(connection: Connection) -> None:
    """Drop the schemas that killed loads left (those of other roles stay), committing each."""
    for name in stale_schemas(connection):
        try:
            connection.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
            connection.commit()
        except DBAPIError:  # another role's, say: not this one's to drop
            connection.rollback()


def stale_schemas(connection: Connection) -> list[str]:
    """The helpers' schemas that no other backend's pid names, quoted, in order: left by
    loads that were killed (kb check reports them; the next load drops them)."""
    return list(
        connection.execute(
            text(
                "SELECT quote_ident(nspname) FROM pg_namespace WHERE nspname ~ :pattern "
                "AND substr(nspname, :digits) NOT IN (SELECT CAST(pid AS text) "
                "FROM pg_stat_activity WHERE pid IS NOT NULL AND pid <> pg_backend_pid()) "
                "ORDER BY nspname"
            ),
            {"pattern": f"^{SCHEMA_PREFIX}[0-9]+$", "digits": len(SCHEMA_PREFIX) + 1},
        ).scalars()
    )


def _build(connection: Connection, table: str, indexes: list[str]) -> _Build | None:
    """What the helper needs to build `table`'s search table, from the load's catalog; None
    if it cannot (no document function to copy, or a search table it cannot copy)."""
    function = _function(connection, table)
    shape = connection.execute(text(_SHAPE), {"name": fts_table(table)}).first()
    if function is None or shape is None:
        return None
    return _Build(table, function, shape[0], list(shape[1]), indexes)


def _replace(connection: Connection, name: str, schema: str) -> None:
    """Drop the load's (empty) search table `name` and move the helper's from `schema` into
    its place, with the old one's comments, grants and owner."""
    where, statements = connection.execute(text(_KEPT), {"name": name}).one()
    connection.exec_driver_sql(f"DROP TABLE {name}")
    connection.exec_driver_sql(f"ALTER TABLE {schema}.{name} SET SCHEMA {where}")
    for statement in statements:
        connection.exec_driver_sql(statement)


def _function(connection: Connection, table: str) -> _Function | None:
    """The definition of `<table>_fts_document` as the load's transaction sees it."""
    row = connection.execute(
        text(
            "SELECT pg_get_function_arguments(p.oid), oidvectortypes(p.proargtypes), "
            "pg_get_function_result(p.oid), quote_ident(l.lanname), p.prosrc "
            "FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
            "WHERE p.oid = to_regproc(:name)"
        ),
        {"name": f"{table}_fts_document"},
    ).first()
    if row is None or _TAG in row[4]:
        return None
    arguments, types, result, language, body = row
    return _Function(arguments, types.split(", "), result, language, body)


def _copy_out(connection: Connection, statement: str, file: IO[bytes]) -> None:
    """Run a COPY … TO STDOUT on `connection` into `file`, and rewind it."""
    with driver_copy(connection, statement) as copy:
        for chunk in copy:
            file.write(chunk)
    file.seek(0)


def _copy_in(connection: Connection, statement: str, file: IO[bytes]) -> None:
    """Run a COPY … FROM STDIN on `connection` from `file`."""
    with driver_copy(connection, statement) as copy:
        while chunk := file.read(_CHUNK):
            copy.write(chunk)
