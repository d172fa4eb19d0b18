-- Step definitions of the given jobs in the order pgAgent runs them.
SELECT jstid, jstjobid, jstname, jstkind, jstenabled, jstonerror
FROM pgagent.pga_jobstep
WHERE jstjobid = ANY(%(jobs)s)
ORDER BY jstjobid, jstname, jstid
