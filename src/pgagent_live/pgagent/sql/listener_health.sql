-- The listener's health check: an answer in time, and how full the notification queue is.
SELECT pg_notification_queue_usage()
