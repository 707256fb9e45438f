"""Alembic environment: the connection comes from netq.collector.db.migrate, and the tables'
metadata from scripts/migration when it writes a new revision."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection,
                  target_metadata=context.config.attributes.get("metadata"),
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
