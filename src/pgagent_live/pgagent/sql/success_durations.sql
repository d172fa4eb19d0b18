-- Durations of the given jobs' newest successful runs, for their expected duration: each job
-- looks only at its newest runs through the jlgjobid index, whatever the history's size; the
-- status is tested on those few rows only. Read when a job's run is first seen, not every look.
SELECT j.id, r.duration
FROM unnest(%(jobs)s::int4[]) AS j(id)
CROSS JOIN LATERAL (
    SELECT extract(epoch FROM recent.jlgduration)::float8 AS duration
    FROM (
        SELECT l.jlgstatus, l.jlgduration
        FROM pgagent.pga_joblog l
        WHERE l.jlgjobid = j.id
        ORDER BY l.jlgid DESC
        LIMIT %(scan)s
    ) recent
    WHERE recent.jlgstatus = 's' AND recent.jlgduration >= interval '0'
    LIMIT %(count)s
) r
