"""Adapters of the reports service: ORM tables, repositories, Redis, event mapping."""
