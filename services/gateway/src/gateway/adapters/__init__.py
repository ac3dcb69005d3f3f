"""Adapters of the gateway service: ORM tables, repositories, Redis, event mapping."""
