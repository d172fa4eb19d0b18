-- The whole output of one step run, found by its primary key within its run.
SELECT jsloutput, coalesce(octet_length(jsloutput), 0)
FROM pgagent.pga_jobsteplog
WHERE jslid = %(step_run)s AND jsljlgid = %(run)s
