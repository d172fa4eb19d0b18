-- Every job with the claim that an agent holds on it: pga_job is small, read whole.
SELECT j.jobid, j.jobname, j.jobdesc, j.jobenabled, j.jobhostagent,
       j.jobnextrun, j.joblastrun, j.jobagentid, a.jagstation
FROM pgagent.pga_job j
LEFT JOIN pgagent.pga_jobagent a ON a.jagpid = j.jobagentid
ORDER BY j.jobid
