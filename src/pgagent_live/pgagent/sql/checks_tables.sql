-- Each table the watcher reads: whether it exists and whether the role may SELECT and UPDATE it.
SELECT t.table_name,
       c.oid IS NOT NULL AS present,
       coalesce(has_table_privilege(c.oid, 'SELECT'), false) AS can_select,
       coalesce(has_table_privilege(c.oid, 'UPDATE'), false) AS can_update
FROM unnest(%(tables)s::text[]) AS t(table_name)
LEFT JOIN pg_namespace n ON n.nspname = 'pgagent'
LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name AND c.relkind = 'r'
ORDER BY t.table_name
