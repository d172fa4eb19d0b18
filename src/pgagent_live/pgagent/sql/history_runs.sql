-- One page of a job's runs older than a run id, newest first: keyset paging on the primary key.
SELECT jlgid, jlgstatus, jlgstart, extract(epoch FROM jlgduration)::float8 AS duration
FROM pgagent.pga_joblog
WHERE jlgjobid = %(job)s AND jlgid < %(before)s
ORDER BY jlgid DESC
LIMIT %(limit)s
