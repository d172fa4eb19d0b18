-- Every job with the claim an agent holds on it, its enabled step count and fingerprints of
-- its steps and schedules: the definition tables are small, read whole, so edits show at once.
SELECT j.jobid, j.jobname, j.jobdesc, j.jobenabled, j.jobhostagent,
       j.jobnextrun, j.joblastrun, j.jobagentid, a.jagstation,
       coalesce(s.enabled, 0) AS steps_enabled,
       coalesce(s.digest, '') AS steps_digest,
       coalesce(c.digest, '') AS schedules_digest
FROM pgagent.pga_job j
LEFT JOIN pgagent.pga_jobagent a ON a.jagpid = j.jobagentid
LEFT JOIN (
    SELECT st.jstjobid,
           count(*) FILTER (WHERE st.jstenabled) AS enabled,
           md5(string_agg(st::text, ',' ORDER BY st.jstid)) AS digest
    FROM pgagent.pga_jobstep st
    GROUP BY st.jstjobid
) s ON s.jstjobid = j.jobid
LEFT JOIN (
    SELECT sc.jscjobid,
           md5(string_agg(sc::text || coalesce(x.exceptions, ''), ',' ORDER BY sc.jscid)) AS digest
    FROM pgagent.pga_schedule sc
    LEFT JOIN (
        SELECT ex.jexscid, string_agg(ex::text, ',' ORDER BY ex.jexid) AS exceptions
        FROM pgagent.pga_exception ex
        GROUP BY ex.jexscid
    ) x ON x.jexscid = sc.jscid
    GROUP BY sc.jscjobid
) c ON c.jscjobid = j.jobid
ORDER BY j.jobid
