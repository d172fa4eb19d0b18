-- Step runs of the given runs, leaving out those already seen finished.
SELECT jslid, jsljlgid, jsljstid, jslstatus, jslresult, jslstart,
       extract(epoch FROM jslduration)::float8 AS duration,
       left(coalesce(jsloutput, ''), %(excerpt_chars)s) AS output,
       coalesce(octet_length(jsloutput), 0) AS output_size
FROM pgagent.pga_jobsteplog
WHERE jsljlgid = ANY(%(runs)s) AND NOT jslid = ANY(%(done)s)
ORDER BY jslid
