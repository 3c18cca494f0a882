"""The PostgreSQL server's side of a load-benchmark phase: the memory of the server backend
processes that served the phase's connections, and the size of the database.

A backend's peak is VmHWM of /proc/<pid>/status: the highest resident set size the process
reached. It counts the backend's private memory (work_mem, maintenance_work_mem, temp_buffers,
caches) and also every page of the server's shared buffers the backend touched, which the
server's other processes share: so it is the backend's footprint on the machine, not memory it
alone took. It is read when a connection opens and again just before it closes (the phase's
connections are found by their backend pid, pg_backend_pid()), which is the last moment the
backend exists. Only a server on this machine whose /proc/<pid> is readable (the benchmark runs
as root, or as the server's user) can be measured; otherwise the peak is unknown, with the
reason. The database's size is pg_database_size(): tables, indexes, TOAST, free-space and
visibility maps, not the write-ahead log.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from pathlib import Path
from typing import Any

MIB = 1 << 20
# /proc/<pid>/status fields read (in kB): the peak and current resident set, and the part of
# the current one that is shared memory (the server's shared buffers, mostly).
STATUS_FIELDS = {"VmHWM": "peak_rss_mib", "VmRSS": "rss_mib", "RssShmem": "shared_rss_mib"}
# How long to wait, after a phase, for its backends to end (so their temporary tables are gone
# from the database's size).
GONE_WAIT_S = 10.0


def database_mib(connection: Any) -> float:
    """The size of the database `connection` (psycopg) is connected to, in MiB."""
    size = connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return round(size / MIB, 1)


def status(pid: int) -> dict[str, Any] | None:
    """The process name and the memory figures (MiB) of /proc/<pid>/status; None when there
    is no such process or it cannot be read."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found: dict[str, Any] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name == "Name":
            found["name"] = value.strip()
        elif name in STATUS_FIELDS:
            found[STATUS_FIELDS[name]] = round(int(value.split()[0]) / 1024, 1)
    return found


def is_local_address(address: str) -> bool:
    """True when `address` (an IP address) belongs to this machine: loopback, or one a socket
    here can bind to."""
    ip = ipaddress.ip_address(address)
    if ip.is_loopback:
        return True
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


def why_unmeasurable(connection: Any) -> str | None:
    """Why the memory of the server's backends cannot be read from here (None: it can): the
    server is on another machine, /proc is not readable, or the pid is not a PostgreSQL
    process here (a server in another pid namespace)."""
    address, pid = connection.execute(
        "SELECT host(inet_server_addr()), pg_backend_pid()"
    ).fetchone()
    # No address: a Unix-domain socket, so the server is on this machine.
    if address is not None and not is_local_address(address):
        return f"the server is at {address}, not on this machine"
    found = status(pid)
    if found is None:
        return f"/proc/{pid}/status (the server's backend) cannot be read"
    if found.get("name") != "postgres" or "peak_rss_mib" not in found:
        return f"process {pid} here is not the server's backend ({found.get('name')})"
    return None


class BackendWatch:
    """The server backends that serve a phase's connections, and their peak memory.

    `opened` and `closing` take psycopg connections; `watch_engine` hooks both into a SQLAlchemy
    engine's pool, so every connection the engine opens is followed.
    """

    def __init__(self, connection: Any) -> None:
        """`connection`: any connection to the server, to find out whether /proc can tell."""
        self.unknown = why_unmeasurable(connection)
        self.pids: dict[int, int] = {}  # id() of an open connection -> its backend's pid
        self.backends: dict[int, dict[str, Any]] = {}  # pid -> its figures, in opening order

    def opened(self, connection: Any) -> None:
        """A connection of the phase has opened."""
        pid = connection.info.backend_pid
        self.pids[id(connection)] = pid
        self.backends.setdefault(pid, {"pid": pid})
        self.read(pid)

    def closing(self, connection: Any) -> None:
        """A connection of the phase is about to close: its backend's last reading."""
        pid = self.pids.pop(id(connection), None)
        if pid is not None:
            self.read(pid)

    def watch_engine(self, engine: Any) -> None:
        """Follow every connection `engine` (SQLAlchemy, psycopg) opens and closes."""
        from sqlalchemy import event

        event.listen(engine, "connect", lambda dbapi, _record: self.opened(dbapi))
        event.listen(engine, "close", lambda dbapi, _record: self.closing(dbapi))
        event.listen(engine, "close_detached", self.closing)

    def read(self, pid: int) -> None:
        """Read a backend's memory now (a backend that has ended keeps its last reading)."""
        if self.unknown:
            return
        found = status(pid)
        if found is None:
            return
        figures = self.backends[pid]
        for name in STATUS_FIELDS.values():
            if name in found:
                figures[name] = found[name]

    def figures(self, connection: Any, before_mib: float) -> dict[str, Any]:
        """The phase's server figures, once it is over: its backends' peaks, the largest of them
        (None when unknown) and the database's size before and after. `connection`: a new
        connection to the phase's database; `before_mib`: its size before the phase."""
        for pid in list(self.pids.values()):  # connections the phase left open
            self.read(pid)
        self.wait_gone(connection)
        peaks = [b["peak_rss_mib"] for b in self.backends.values() if "peak_rss_mib" in b]
        return {
            "peak_rss_mib": None if self.unknown or not peaks else max(peaks),
            "unknown": self.unknown,
            "backends": list(self.backends.values()),
            "database_mib_before": before_mib,
            "database_mib": database_mib(connection),
        }

    def wait_gone(self, connection: Any) -> None:
        """Wait a while for the phase's backends to end, so that the temporary tables they
        dropped on their way out are not counted in the database's size."""
        deadline = time.monotonic() + GONE_WAIT_S
        pids = list(self.backends)
        while pids and time.monotonic() < deadline:
            alive = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)
            ).fetchone()[0]
            connection.commit()  # a transaction sees one snapshot of pg_stat_activity
            if not alive:
                return
            time.sleep(0.02)


def describe(server: dict[str, Any]) -> str:
    """A phase's server peak as printed: MiB, or "unknown"."""
    peak = server["peak_rss_mib"]
    return "unknown" if peak is None else f"{peak:.1f}"
