"""Use cases of the reports service: load -> domain call -> unit of work commits."""
