"""WeiLinli benchmarks, run against the machine's real PostgreSQL and RabbitMQ.

`python -m bench` runs them all; `python -m bench <name> [options]` runs one (see README.md).
Benchmarks print figures and never assert: a missed target is reported, not failed.
"""
