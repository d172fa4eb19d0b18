-- Install the notify triggers: a function that sends ids and status letters, never raising,
-- and one AFTER trigger per pgAgent table. Idempotent: run in one transaction, again or not.
CREATE SCHEMA IF NOT EXISTS pgagent_live;

CREATE OR REPLACE FUNCTION pgagent_live.notify_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    changed record;
    payload text;
BEGIN
    -- Whatever happens in here, pgAgent's own statement must go on as if we were not there.
    BEGIN
        IF TG_OP = 'DELETE' THEN
            changed := OLD;
        ELSE
            changed := NEW;
        END IF;

        IF TG_TABLE_NAME = 'pga_joblog' THEN
            payload := 'run:' || changed.jlgid || ':' || changed.jlgjobid || ':'
                       || left(coalesce(changed.jlgstatus::text, '?'), 1);
        ELSIF TG_TABLE_NAME = 'pga_jobsteplog' THEN
            payload := 'step:' || changed.jslid || ':' || changed.jsljlgid || ':'
                       || left(coalesce(changed.jslstatus::text, '?'), 1);
        ELSIF TG_TABLE_NAME = 'pga_job' THEN
            payload := 'job:' || changed.jobid;
        ELSIF TG_TABLE_NAME = 'pga_jobstep' THEN
            payload := 'job:' || changed.jstjobid;
        ELSIF TG_TABLE_NAME = 'pga_schedule' THEN
            payload := 'job:' || changed.jscjobid;
        ELSIF TG_TABLE_NAME = 'pga_jobagent' THEN
            payload := 'agent:' || changed.jagpid;
        ELSE
            payload := 'table:' || left(TG_TABLE_NAME::text, 63);
        END IF;

        PERFORM pg_notify('pgagent_live', left(coalesce(payload, 'table:?'), 200));
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
    RETURN NULL;
END
$fn$;

COMMENT ON FUNCTION pgagent_live.notify_change() IS 'pgagent-live notify triggers, version 1';

-- CREATE TRIGGER needs only the TRIGGER privilege; replacing one would need ownership.
DO $install$
DECLARE
    table_name text;
BEGIN
    FOREACH table_name IN ARRAY ARRAY['pga_joblog', 'pga_jobsteplog', 'pga_job', 'pga_jobstep',
                                      'pga_schedule', 'pga_exception', 'pga_jobagent']
    LOOP
        IF NOT EXISTS (
            SELECT FROM pg_trigger
            WHERE tgrelid = format('pgagent.%I', table_name)::regclass
              AND tgname = 'pgagent_live_notify'
        ) THEN
            EXECUTE format(
                'CREATE TRIGGER pgagent_live_notify AFTER INSERT OR UPDATE OR DELETE'
                ' ON pgagent.%I FOR EACH ROW EXECUTE FUNCTION pgagent_live.notify_change()',
                table_name
            );
        END IF;
    END LOOP;
END
$install$;
