"""The admin's failed-login limit, its password change form and its device cookies.

PASSWORD is the moderator fixture's password (tests/admin/conftest.py)."""

PASSWORD = "a-long-moderator-passphrase-42"
