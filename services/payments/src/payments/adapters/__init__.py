"""Adapters of the payments service: tables, the ledger's store, WeChat Pay."""
