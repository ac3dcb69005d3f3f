"""Adapters of the errand service: ORM tables, repositories, Redis, event mapping."""
