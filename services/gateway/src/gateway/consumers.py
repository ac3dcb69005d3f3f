"""Incoming events -> use cases. Maps each consumed event_type to its handler."""

from servicekit.consumer import EventHandler

handlers: dict[str, EventHandler] = {}
