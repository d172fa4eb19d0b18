-- The whole output of one step run, found by primary keys and checked against its run and job.
SELECT coalesce(l.jsloutput, ''), coalesce(octet_length(l.jsloutput), 0)
FROM pgagent.pga_jobsteplog l
JOIN pgagent.pga_joblog r ON r.jlgid = l.jsljlgid
WHERE l.jslid = %(step_run)s AND r.jlgid = %(run)s AND r.jlgjobid = %(job)s
