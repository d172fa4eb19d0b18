-- Runs that ended after a time, newest first: what a client that was away missed.
-- Each job's newest runs come through the jlgjobid index, whatever the history's size; an
-- aborted run has no duration and counts from its start.
SELECT r.jlgid, r.jlgjobid, j.jobname, r.jlgstatus, r.jlgstart,
       extract(epoch FROM r.jlgduration)::float8 AS duration
FROM pgagent.pga_job j
CROSS JOIN LATERAL (
    SELECT l.jlgid, l.jlgjobid, l.jlgstatus, l.jlgstart, l.jlgduration
    FROM pgagent.pga_joblog l
    WHERE l.jlgjobid = j.jobid
    ORDER BY l.jlgid DESC
    LIMIT %(per_job)s
) r
WHERE r.jlgstatus <> 'r'
  AND r.jlgstart + coalesce(r.jlgduration, interval '0') > %(since)s
ORDER BY r.jlgid DESC
LIMIT %(limit)s
