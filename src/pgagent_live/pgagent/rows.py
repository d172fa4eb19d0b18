"""pgAgent's rows as the watcher reads them."""

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
    agent_host: str | None


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
    output_size: int


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
