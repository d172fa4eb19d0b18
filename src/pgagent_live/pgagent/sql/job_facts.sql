-- A job's class name and when it was created and last changed, for its properties.
SELECT coalesce(c.jclname, ''), j.jobcreated, j.jobchanged
FROM pgagent.pga_job j
LEFT JOIN pgagent.pga_jobclass c ON c.jclid = j.jobjclid
WHERE j.jobid = %(job)s
