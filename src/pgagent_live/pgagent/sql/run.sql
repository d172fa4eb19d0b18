-- One run by its primary key.
SELECT jlgid, jlgjobid, jlgstatus, jlgstart,
       extract(epoch FROM jlgduration)::float8 AS duration
FROM pgagent.pga_joblog
WHERE jlgid = %(run)s
