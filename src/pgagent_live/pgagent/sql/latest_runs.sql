-- The newest run of every job, one index probe per job on pga_joblog(jlgjobid).
SELECT r.jlgid, r.jlgjobid, r.jlgstatus, r.jlgstart,
       extract(epoch FROM r.jlgduration)::float8 AS duration
FROM pgagent.pga_job j
CROSS JOIN LATERAL (
    SELECT * FROM pgagent.pga_joblog l
    WHERE l.jlgjobid = j.jobid
    ORDER BY l.jlgid DESC
    LIMIT 1
) r
ORDER BY r.jlgid
