"""The read-only open data API."""
