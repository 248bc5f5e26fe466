"""Shared state: the database every server process (on any machine) reads and writes."""
