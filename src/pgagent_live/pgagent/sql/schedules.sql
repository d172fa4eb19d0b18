-- Schedules of one job.
SELECT jscid, jscname, jscenabled
FROM pgagent.pga_schedule
WHERE jscjobid = %(job)s
ORDER BY jscname, jscid
