-- Run a job at the agent's next poll: pgAgent's own meaning of "run now".
UPDATE pgagent.pga_job SET jobnextrun = now()
WHERE jobid = %(job)s
RETURNING jobid
