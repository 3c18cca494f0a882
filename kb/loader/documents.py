"""PostgreSQL: the search documents of a bulk load, computed on a second connection while the
load's own transaction goes on writing.

A load into an empty searchable table writes the table's rows first and their documents
(`<table>_fts`, a tsvector per row) after. The load's transaction runs on one server backend,
and most of what it does is serial (INSERT … SELECT, index builds), so on a machine with a few
CPUs one of them idles through the writing; computing the documents (`to_tsvector`, most of
the cost of the search tables) in that transaction took a sixth of a million-fact load.

So once a table's rows are in, the load copies out each row's id and the arguments of its
document function (`COPY … TO STDOUT`) and hands them to a helper thread with a connection
of its own. The helper cannot see the load's uncommitted rows or functions (a first load
migrates in its transaction), so it takes the function's definition from the load's catalog,
makes it again as a temporary function, and computes the documents on its own backend into a
file, while the load writes the next tables. At the end of the merge the load copies each
file into `<table>_fts` (`COPY … FROM STDIN`, binary: no tsvector is parsed again) and builds
the GIN index. The helper writes nothing of kb's: temporary objects only, in a transaction it
rolls back, so the load stays one transaction and a failed load leaves nothing behind.

If the helper cannot do a table's documents (it cannot connect, the server refuses a
temporary function), the load computes them in its own transaction as before: the same
function on the same server gives the same documents either way.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool, QueuePool

from kb.db import driver_copy
from kb.search.index import fts_table, pg_document_inputs

# Rows of a table below which its documents are computed in the load's transaction: a second
# connection costs more than the work it would take over (10,000 documents take about 0.1 s).
HELPED_FROM = 10_000
# The dollar-quote tag around the function body the helper makes again.
_TAG = "$kb_document$"
# A chunk of a copy, read from or written to a file.
_CHUNK = 1 << 20


@dataclass(frozen=True)
class _Function:
    """A document function as the load's catalog defines it."""

    arguments: str  # as pg_get_function_arguments gives them: "name text, evidence text"
    types: list[str]  # the arguments' types, in order
    result: str
    language: str  # quoted
    body: str


@dataclass
class DocumentHelper:
    """Computes the documents of the tables a load fills, on a connection of its own."""

    connection: Connection  # the load's
    _executor: ThreadPoolExecutor | None = None
    _helper: Connection | None = None  # opened and used by the helper thread
    _pending: dict[str, Future[IO[bytes]]] = field(default_factory=dict)
    _files: list[IO[bytes]] = field(default_factory=list)
    _tried: bool = False  # _start() has run: the helper is open, or the load does without

    def submit(self, table: str, rows: int) -> bool:
        """Hand the documents of `table` (its rows just written) to the helper; False if the
        load should compute them itself (a small table, or no definition to copy)."""
        if rows < HELPED_FROM:
            return False
        function = _function(self.connection, table)
        if function is None or not self._start():
            return False
        inputs = self._file()
        _copy_out(self.connection, f"COPY ({pg_document_inputs(table)}) TO STDOUT", inputs)
        assert self._executor is not None  # started
        self._pending[table] = self._executor.submit(self._compute, table, function, inputs)
        return True

    def write(self, table: str) -> bool:
        """Copy the helper's documents of `table` into `<table>_fts`; False if it could not
        make them (the load then computes them itself)."""
        job = self._pending.pop(table)
        try:
            documents = job.result()
        except Exception:  # any failure of the helper: the load does the work itself
            return False
        statement = f"COPY {fts_table(table)} (id, document) FROM STDIN (FORMAT binary)"
        with documents:  # removed once read: a million facts' documents take 150 MB
            _copy_in(self.connection, statement, documents)
        return True

    def _start(self) -> bool:
        """Open the helper's connection and thread, once; False if the server refuses it, or
        if the engine's pool may hand out the load's own connection (StaticPool, say, whose
        one connection the helper would share and, closing it, roll back)."""
        if not self._tried:
            self._tried = True
            if isinstance(self.connection.engine.pool, QueuePool | NullPool):
                try:
                    # Opened here, so that close() can always cancel what it runs; used only
                    # by the helper's thread from now on.
                    self._helper = self.connection.engine.connect()
                except DBAPIError:  # no connection to spare, say: the load does the work
                    pass
                else:
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix="kb-documents")
        return self._executor is not None

    def close(self) -> None:
        """Stop the helper (cancelling what it is computing) and remove its files."""
        if self._executor is not None:
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
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._helper is not None:
            self._helper.close()  # rolls its transaction back: its temporary objects go
            self._helper = None
        for file in self._files:
            file.close()
        self._files.clear()
        self._pending.clear()

    def __enter__(self) -> DocumentHelper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _file(self) -> IO[bytes]:
        """A new temporary file, removed once read, or at the latest by close()."""
        file = tempfile.TemporaryFile(prefix="kb-documents-")  # noqa: SIM115 (closed by close())
        self._files.append(file)
        return file

    def _compute(self, table: str, function: _Function, inputs: IO[bytes]) -> IO[bytes]:
        """In the helper thread: the documents of the rows in `inputs`, in binary COPY form."""
        helper = self._helper
        assert helper is not None  # opened by _start()
        columns = [f"a{i}" for i in range(1, len(function.types) + 1)]
        definitions = ", ".join(
            f"{c} {kind}" for c, kind in zip(columns, function.types, strict=True)
        )
        helper.exec_driver_sql(
            f"CREATE FUNCTION pg_temp.{table}_fts_document({function.arguments}) "
            f"RETURNS {function.result} LANGUAGE {function.language} IMMUTABLE "
            f"AS {_TAG}{function.body}{_TAG}"
        )
        helper.exec_driver_sql(
            f"CREATE TEMPORARY TABLE kb_{table}_document_inputs (id integer, {definitions})"
        )
        with inputs:
            _copy_in(helper, f"COPY kb_{table}_document_inputs FROM STDIN", inputs)
        documents = self._file()
        call = f"pg_temp.{table}_fts_document({', '.join(columns)})"
        computed = f"SELECT id, {call} FROM kb_{table}_document_inputs"  # noqa: S608 (ours)
        _copy_out(helper, f"COPY ({computed}) TO STDOUT (FORMAT binary)", documents)
        helper.exec_driver_sql(f"DROP TABLE kb_{table}_document_inputs")
        return documents


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
