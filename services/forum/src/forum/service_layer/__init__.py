"""Use cases of the forum service: load -> domain call -> unit of work commits."""
