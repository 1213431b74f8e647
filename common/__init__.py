"""Pieces every package shares: settings, the partnership file, errors, YAML with line numbers."""
