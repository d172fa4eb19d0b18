-- Which pgAgent tables carry an enabled notify trigger, and the trigger function's version mark.
SELECT t.table_name,
       coalesce(tg.tgenabled <> 'D', false) AS enabled,
       (SELECT obj_description(p.oid, 'pg_proc')
        FROM pg_proc p JOIN pg_namespace pn ON pn.oid = p.pronamespace
        WHERE pn.nspname = 'pgagent_live' AND p.proname = 'notify_change' AND p.pronargs = 0
       ) AS version
FROM unnest(%(tables)s::text[]) AS t(table_name)
LEFT JOIN pg_namespace n ON n.nspname = 'pgagent'
LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name
LEFT JOIN pg_trigger tg
       ON tg.tgrelid = c.oid AND tg.tgname = 'pgagent_live_notify' AND NOT tg.tgisinternal
ORDER BY t.table_name
