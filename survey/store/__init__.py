"""The only package that imports SQLAlchemy: tables, engine, migrations and the queries."""
