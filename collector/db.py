"""Opening the store: a SQLite path or a postgresql:// URL, migrated to the current schema."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

DEFAULT_DB = "./netq.db"


def resolve(db: str | None) -> str:
    """--db, else NETQ_DB, else ./netq.db; as an SQLAlchemy URL."""
    target = db or os.environ.get("NETQ_DB") or DEFAULT_DB
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + target.split("://", 1)[1]
    if target.startswith(("postgresql+", "sqlite:")):
        return target
    return f"sqlite:///{Path(target).expanduser()}"


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


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (creates it on first start)."""
    config = Config()
    config.set_main_option("script_location",
                           str(resources.files("netq.collector").joinpath("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
