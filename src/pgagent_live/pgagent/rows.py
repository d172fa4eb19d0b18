"""pgAgent's rows as the watcher reads them, text already decoded."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    name: str
    description: str
    enabled: bool
    host_agent: str
    next_run: datetime | None
    last_claimed: datetime | None
    agent_pid: int | None
    """The pid of the agent that holds the job (``jobagentid``); None when no agent does."""
    agent_host: str | None
    steps_enabled: int = 0
    """How many of the job's steps are enabled: the steps a run started now would run."""
    steps_digest: str = ""
    """A fingerprint of the job's step definitions: it changes whenever one does."""
    schedules_digest: str = ""
    """A fingerprint of the job's schedules and their exceptions."""


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    job_id: int
    letter: str
    started_at: datetime
    duration: float | None


@dataclass(frozen=True, slots=True)
class StepLogRow:
    id: int
    run_id: int
    step_id: int
    letter: str
    result: int | None
    started_at: datetime
    duration: float | None
    output: str
    """The start of the output: at most ``OUTPUT_EXCERPT_BYTES`` characters as stored."""
    output_size: int
    """The whole output's size in bytes, as stored."""
    name: str | None = None
    """The step's name now; None when the definition is gone."""
    kind: str | None = None
    """``s`` SQL or ``b`` batch; None when the definition is gone."""


@dataclass(frozen=True, slots=True)
class StepRow:
    id: int
    job_id: int
    name: str
    kind: str
    enabled: bool
    on_error: str


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    id: int
    name: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class AgentRow:
    pid: int
    """``jagpid``: the pid of the agent's main database connection, the agent's id."""
    host: str
    login_time: datetime
    alive: bool
    """Whether that connection is still in ``pg_stat_activity``."""
