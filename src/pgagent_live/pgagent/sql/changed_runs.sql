-- Runs above the watermark and the open runs the watcher follows, by primary key only.
SELECT jlgid, jlgjobid, jlgstatus, jlgstart,
       extract(epoch FROM jlgduration)::float8 AS duration
FROM pgagent.pga_joblog
WHERE jlgid > %(after)s OR jlgid = ANY(%(ids)s)
ORDER BY jlgid
