-- Remove the notify triggers, their function and, when nothing else is left in it, their schema.
DROP TRIGGER IF EXISTS pgagent_live_notify ON pgagent.pga_joblog;
DROP TRIGGER IF EXISTS pgagent_live_notify ON pgagent.pga_jobsteplog;
DROP TRIGGER IF EXISTS pgagent_live_notify ON pgagent.pga_job;
DROP TRIGGER IF EXISTS pgagent_live_notify ON pgagent.pga_jobstep;
DROP TRIGGER IF EXISTS pgagent_live_notify ON pgagent.pga_schedule;
DROP TRIGGER IF EXISTS pgagent_live_notify ON pgagent.pga_exception;
DROP TRIGGER IF EXISTS pgagent_live_notify ON pgagent.pga_jobagent;
DROP FUNCTION IF EXISTS pgagent_live.notify_change();
DROP SCHEMA IF EXISTS pgagent_live RESTRICT;
