"""Opening the store: a SQLite path or a postgresql:// URL, migrated to the current schema."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, text

from netq.errors import ReadReplica

DEFAULT_DB = "./netq.db"


def resolve(db: str | None) -> str:
    """--db, else NETQ_DB, else ./netq.db; as an SQLAlchemy URL."""
    target = db or os.environ.get("NETQ_DB") or DEFAULT_DB
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + target.split("://", 1)[1]
    if target.startswith(("postgresql+", "sqlite:")):
        return target
    return f"sqlite:///{Path(target).expanduser()}"


def masked(db: str | None) -> str:
    """The store's URL as it may be shown or logged: a password, if any, as ***."""
    return make_url(resolve(db)).render_as_string(hide_password=True)


def missing_file(db: str | None) -> Path | None:
    """The SQLite file `db` names (resolved as `resolve` does), when there is none."""
    url = resolve(db)
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    return None if str(path) == ":memory:" or path.exists() else path


def engine_for(db: str | None) -> Engine:
    url = resolve(db)
    if url.startswith("sqlite"):
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            # WAL for readers beside the writer; FULL so a committed batch survives power loss
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def read_only(engine: Engine) -> bool:
    """A PostgreSQL read replica (a hot standby): it takes reads, and no write."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as connection:
        return bool(connection.execute(text("SELECT pg_is_in_recovery()")).scalar_one())


def migrate(engine: Engine, replica: bool | None = None) -> None:
    """Bring the schema to the newest revision (creates it on first start). A read replica
    (`replica`, asked of the store when not given) is not written: its schema, replicated
    from the primary, must already be the newest."""
    config = Config()
    config.set_main_option("script_location",
                           str(resources.files("netq.collector").joinpath("migrations")))
    if read_only(engine) if replica is None else replica:
        head = ScriptDirectory.from_config(config).get_current_head()
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        if current != head:
            raise ReadReplica(f"the read replica's schema is at revision {current}, this netq "
                              f"needs {head}: migrate the primary (start its collector) and "
                              "let the replica catch up")
        return
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
