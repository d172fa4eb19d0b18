-- The pgagent schema's major version as pgAgent itself reports it.
SELECT pgagent.pgagent_schema_version()
