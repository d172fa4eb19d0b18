-- What the current role lacks to install or remove the triggers, as privileges to grant.
-- Tables are found through the catalogs: a role without USAGE on pgagent cannot name them.
WITH tables AS (
    SELECT t.table_name, c.oid, c.relowner
    FROM unnest(%(tables)s::text[]) AS t(table_name)
    JOIN pg_namespace n ON n.nspname = 'pgagent'
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name
)
SELECT 'USAGE ON SCHEMA pgagent'
WHERE NOT has_schema_privilege((SELECT oid FROM pg_namespace WHERE nspname = 'pgagent'), 'USAGE')
UNION ALL
SELECT 'TRIGGER ON pgagent.' || table_name
FROM tables
WHERE NOT %(removing)s AND NOT has_table_privilege(oid, 'TRIGGER')
UNION ALL
SELECT 'CREATE ON DATABASE ' || quote_ident(current_database())
WHERE NOT %(removing)s
  AND NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'pgagent_live')
  AND NOT has_database_privilege(current_database(), 'CREATE')
UNION ALL
SELECT 'CREATE ON SCHEMA pgagent_live'
FROM pg_namespace
WHERE nspname = 'pgagent_live' AND NOT %(removing)s AND NOT has_schema_privilege(oid, 'CREATE')
UNION ALL
SELECT 'ownership of pgagent.' || table_name
FROM tables
WHERE %(removing)s AND NOT pg_has_role(relowner, 'USAGE')
