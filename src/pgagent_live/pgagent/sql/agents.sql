-- Registered agents, each alive while its backend is: a pid reused by a later backend is not it.
SELECT a.jagpid, a.jaglogintime, a.jagstation,
       s.pid IS NOT NULL AS alive
FROM pgagent.pga_jobagent a
LEFT JOIN pg_stat_activity s
       ON s.pid = a.jagpid AND (s.backend_start IS NULL OR s.backend_start <= a.jaglogintime)
ORDER BY a.jagpid
