"""Use cases of the gateway service: load -> domain call -> unit of work commits."""
