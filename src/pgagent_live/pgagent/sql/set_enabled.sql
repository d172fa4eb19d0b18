-- Enable or disable a job: a disabled job is never claimed by an agent.
UPDATE pgagent.pga_job SET jobenabled = %(enabled)s
WHERE jobid = %(job)s
RETURNING jobid
