-- Registered agents, each alive while its backend is: a pid reused by a later backend is not it.
-- Known shortcoming: a role without pg_read_all_stats reads NULL as other roles' backend_start,
-- so for it a pid reused by another backend still looks like the agent.
SELECT a.jagpid, a.jaglogintime, a.jagstation,
       s.pid IS NOT NULL AS alive
FROM pgagent.pga_jobagent a
LEFT JOIN pg_stat_activity s
       ON s.pid = a.jagpid AND (s.backend_start IS NULL OR s.backend_start <= a.jaglogintime)
ORDER BY a.jagpid
