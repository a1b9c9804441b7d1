"""Participation results: the dashboard of the Conseil, directors, presidents and the federation."""
