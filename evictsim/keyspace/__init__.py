"""Keyspace: per-key state (struct of arrays), Redis's hash tables, and the byte model of used_memory."""
