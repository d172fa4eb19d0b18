-- Whether the pgagent schema and its version function exist and may be used, without ever
-- raising: a role without USAGE on the schema could not even resolve names inside it.
SELECT n.oid IS NOT NULL AS has_schema,
       coalesce(has_schema_privilege(n.oid, 'USAGE'), false) AS schema_usage,
       p.oid IS NOT NULL AS has_version_function,
       coalesce(has_function_privilege(p.oid, 'EXECUTE'), false) AS version_execute,
       current_user AS role,
       current_database() AS database
FROM (SELECT 1) AS one
LEFT JOIN pg_namespace n ON n.nspname = 'pgagent'
LEFT JOIN pg_proc p
       ON p.pronamespace = n.oid AND p.proname = 'pgagent_schema_version' AND p.pronargs = 0
