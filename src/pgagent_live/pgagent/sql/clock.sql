-- The database clock, which every time the service shows is taken from.
SELECT now()
