"""Watchers that read pgAgent's tables and the tracker that turns rows into events."""
