-- Whether a job exists, by its primary key.
SELECT jobid FROM pgagent.pga_job WHERE jobid = %(job)s
