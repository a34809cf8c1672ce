"""A throwaway PostgreSQL server with LiteLLM's real schema, for tests.

The server runs from the Debian binaries in a temporary directory, listens on a free
127.0.0.1 port (and a socket in that directory), and is owned by an unprivileged user when
the tests run as root, because PostgreSQL refuses to run as root.  LiteLLM's schema comes
from the SQL migrations shipped in the ``litellm-proxy-extras`` wheel: each file runs on
its own, outside any transaction block, because some use ``CREATE INDEX CONCURRENTLY``.
Nothing is kept outside the temporary directory.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

BIN_GLOB = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"  # the OS account the server runs as when we are root
SUPERUSER = "postgres"  # the database superuser initdb creates


def find_bindir() -> Path | None:
    """The newest Debian PostgreSQL bin directory (or $OTEL_LITELLM_PG_BINDIR)."""
    explicit = os.environ.get("OTEL_LITELLM_PG_BINDIR")
    if explicit:
        return Path(explicit)
    found = sorted(Path("/").glob(BIN_GLOB.lstrip("/")), key=lambda p: _version(p.parent.name))
    return found[-1] if found and (found[-1] / "initdb").exists() else None


def migrations_dir() -> Path:
    """``litellm_proxy_extras/migrations`` of the installed wheel."""
    spec = importlib.util.find_spec("litellm_proxy_extras")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("litellm-proxy-extras is not installed (pip install 'litellm[proxy]')")
    return Path(next(iter(spec.submodule_search_locations))) / "migrations"


def migration_files(directory: Path | None = None) -> list[Path]:
    """Every ``migration.sql``, in the lexical order of their directories (as Prisma runs them)."""
    root = directory or migrations_dir()
    return sorted(root.glob("*/migration.sql"), key=lambda p: p.parent.name)


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int
    timezone: str

    @property
    def data(self) -> Path:
        return self.root / "data"

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def create(cls, timezone: str = "UTC", bindir: Path | None = None) -> PostgresServer:
        """initdb and start a server whose configured time zone is ``timezone``."""
        bindir = bindir or find_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL binaries not found (apt-get install postgresql)")
        root = Path(tempfile.mkdtemp(prefix="otel-litellm-pg-"))
        if os.geteuid() == 0:
            shutil.chown(root, user=SERVER_USER)
        server = cls(bindir, root, _free_port(), timezone)
        try:
            server._initdb()
            server.start()
        except BaseException:
            server.destroy()
            raise
        return server

    def _initdb(self) -> None:
        self._as_server_user(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "-N",
        )  # fmt: skip
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "timezone": f"'{self.timezone}'",
            "log_timezone": f"'{self.timezone}'",
            # A test database: durability buys nothing, speed does.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def start(self) -> None:
        self._as_server_user(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "30",
            "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_server_user("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- using it ----------------------------------------------------------------------------
    def url(self, dbname: str, user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", user: str = SUPERUSER) -> psycopg.Connection:
        return psycopg.connect(self.url(dbname, user), autocommit=True)

    def execute(self, dbname: str, *statements: str) -> None:
        """Run statements one at a time, outside transaction blocks."""
        with self.connect(dbname) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> None:
        source = f' TEMPLATE "{template}"' if template else ""
        self.execute("postgres", f'CREATE DATABASE "{name}"{source}')

    def drop_database(self, name: str) -> None:
        self.execute("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def apply_migrations(self, dbname: str, files: list[Path] | None = None) -> int:
        """Apply LiteLLM's migrations to ``dbname``; returns how many files ran.

        One psql, one ``-f`` per file: psql sends each statement on its own, so no file runs
        inside a transaction block, and ON_ERROR_STOP makes the first error fatal.
        """
        files = files if files is not None else migration_files()
        if not files:
            raise RuntimeError("no LiteLLM migrations found")
        args = [str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-d", self.url(dbname), "-o", os.devnull]  # fmt: skip
        for path in files:
            args += ["-f", str(path)]
        env = {**os.environ, "PGOPTIONS": "-c client_min_messages=warning"}
        result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"LiteLLM migrations failed:\n{result.stderr[-4000:]}")
        return len(files)

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _as_server_user(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise subprocess.CalledProcessError(
                result.returncode, command, result.stdout, result.stderr + "\n" + self.log()[-2000:]
            )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())
