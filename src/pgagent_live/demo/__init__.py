"""A private PostgreSQL cluster with the real pgAgent daemon and sample jobs."""
