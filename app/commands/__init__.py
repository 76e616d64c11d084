"""Operator command groups (`flask <group> <command>`), registered by `app/cli.py`."""
