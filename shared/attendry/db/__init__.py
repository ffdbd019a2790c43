"""Data access: the engine, the tables, their migrations and the repositories."""
