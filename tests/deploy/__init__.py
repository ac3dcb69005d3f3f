"""Offline checks of docker-compose.yml and deploy/ (no Docker engine needed)."""
