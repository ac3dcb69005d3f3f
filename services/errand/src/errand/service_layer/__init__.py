"""Use cases of the errand service: load -> domain call -> unit of work commits."""
