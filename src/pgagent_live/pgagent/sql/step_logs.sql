-- Step runs of the given runs with their step's name and kind, leaving out those seen finished.
SELECT l.jslid, l.jsljlgid, l.jsljstid, l.jslstatus, l.jslresult, l.jslstart,
       extract(epoch FROM l.jslduration)::float8 AS duration,
       left(coalesce(l.jsloutput, ''), %(excerpt_chars)s) AS output,
       coalesce(octet_length(l.jsloutput), 0) AS output_size,
       st.jstname, st.jstkind
FROM pgagent.pga_jobsteplog l
LEFT JOIN pgagent.pga_jobstep st ON st.jstid = l.jsljstid
WHERE l.jsljlgid = ANY(%(runs)s) AND NOT l.jslid = ANY(%(done)s)
ORDER BY l.jslid
