-- Where the watcher starts: runs above this id are new to it.
SELECT coalesce(max(jlgid), 0) FROM pgagent.pga_joblog
