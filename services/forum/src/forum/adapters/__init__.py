"""Adapters of the forum service: ORM tables, repositories, Redis, event mapping."""
