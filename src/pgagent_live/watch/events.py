"""The events and states the service pushes, as the JSON objects clients receive."""

from typing import Literal, NotRequired

# pydantic reads these for the OpenAPI document, which needs the backport on Python 3.11.
from typing_extensions import TypedDict

EventType = Literal[
    "job_started",
    "step_started",
    "step_finished",
    "job_progress",
    "job_succeeded",
    "job_failed",
    "job_aborted",
    "job_stuck",
    "job_overdue",
    "job_long_running",
    "job_changed",
    "job_removed",
    "agent_online",
    "agent_offline",
]

ServerState = Literal[
    "connecting",
    "live",
    "catching_up",
    "polling",
    "unreachable",
    "not_installed",
    "unsupported_version",
    "permission_denied",
    "error",
]


class ServerRef(TypedDict):
    id: str
    name: str


class JobRef(TypedDict):
    id: int
    name: str
    enabled: bool


class RunRef(TypedDict):
    id: int
    status: str
    started_at: str
    duration: float | None
    """Seconds, from the database clock; None while running or when unknown."""
    agent_host: str | None
    clock_anomaly: NotRequired[bool]
    """True when the run starts after the database's now or its duration is negative."""


class StepRef(TypedDict):
    id: int
    run_id: int
    name: str
    kind: Literal["sql", "batch"]
    status: str
    result: int | None
    position: int
    total: int
    started_at: str
    duration: float | None
    output: str
    """At most ``OUTPUT_EXCERPT_BYTES`` of UTF-8, cut on a character boundary."""
    output_size: int
    """The full output's size in bytes."""
    output_truncated: NotRequired[bool]
    """True when ``output`` is only the start of it: read the rest through the REST API."""
    clock_anomaly: NotRequired[bool]


class Progress(TypedDict):
    done: int
    """Steps finished so far."""
    total: int
    """Steps the run will run: the job's enabled steps when the run started."""
    elapsed: float | None
    """Seconds since the run started, by the database clock; None on a clock anomaly."""
    expected: NotRequired[float | None]
    """The median duration of the job's recent successful runs; None when it has none."""


class RunWarning(TypedDict):
    """A step that did not work in a run that went on."""

    step_id: int
    step_run_id: int
    name: str
    status: str
    """``ignored``, ``failed_as_success`` or ``not_recorded``."""
    result: int | None
    message: str


class AgentRef(TypedDict):
    pid: int
    host: str
    login_time: str
    alive: bool


class Event(TypedDict):
    """One ``job_status_update``: ``seq`` and ``epoch`` are stamped by the hub."""

    seq: int
    epoch: str
    type: EventType
    occurred_at: str
    server: ServerRef
    job: NotRequired[JobRef]
    """Every type but ``agent_online`` and ``agent_offline``."""
    run: NotRequired[RunRef]
    """Every type about a run: not ``job_overdue``, ``job_changed``, ``job_removed``, agents."""
    step: NotRequired[StepRef]
    progress: NotRequired[Progress]
    error: NotRequired[str]
    """For ``job_failed``: the failing step's output, bounded like ``step.output``."""
    warnings: NotRequired[list[RunWarning]]
    """For the final event of a run whose failing steps were let through."""
    reason: NotRequired[str]
    """A machine-readable reason: see docs/states.md for each type's values."""
    message: NotRequired[str]
    """The reason in words."""
    live_hosts: NotRequired[list[str]]
    """For ``job_overdue``: the hosts of the live agents."""
    changes: NotRequired[list[str]]
    """For ``job_changed``: what changed (``created``, ``name``, ``steps``, ...)."""
    state: NotRequired["JobState"]
    """For ``job_changed`` and a run's final event: the job as the tree now draws it."""
    agent: NotRequired[AgentRef]
    """For ``agent_online`` and ``agent_offline``."""


class LastRun(TypedDict):
    id: int
    status: str
    started_at: str
    duration: float | None
    steps_done: int
    steps_total: int
    warnings: NotRequired[list[RunWarning]]
    reason: NotRequired[str]
    """Why the run is what it is, when that is not plain (see docs/states.md)."""
    clock_anomaly: NotRequired[bool]
    long_running: NotRequired[bool]
    expected: NotRequired[float | None]


class JobAlert(TypedDict):
    """A condition of a job that is not a run status: stuck, overdue or long running."""

    type: str
    """The event type that announced it: ``job_stuck``, ``job_overdue``, ``job_long_running``."""
    reason: str
    message: str
    since: str


class JobState(TypedDict):
    """A job as the tree draws it."""

    id: int
    name: str
    description: str
    enabled: bool
    host_agent: str
    next_run: str | None
    status: str
    """``stuck``, ``running``, ``overdue``, else the last run's status, else ``idle``."""
    last_run: LastRun | None
    alert: NotRequired[JobAlert | None]


class RunDetail(TypedDict):
    """A run with every step run, read now, as ``GET .../runs/{run}`` returns it."""

    id: int
    job_id: int
    status: str
    started_at: str
    duration: float | None
    clock_anomaly: bool
    reason: str | None
    message: str | None
    warnings: list[RunWarning]
    steps: list[StepRef]


class StepOutput(TypedDict):
    """A step run's whole output, decoded as docs/states.md says."""

    run_id: int
    step_run_id: int
    output: str
    output_size: int
    """The size in bytes as stored, before decoding."""


class ServerSnapshot(TypedDict):
    id: str
    name: str
    state: ServerState
    message: str
    jobs: list[JobState]
    agents: NotRequired[list[AgentRef]]


class Snapshot(TypedDict):
    """What a client needs to draw its tree, sent on connect as ``snapshot``."""

    epoch: str
    seq: int
    servers: list[ServerSnapshot]


OUTPUT_EXCERPT_BYTES = 2048


def excerpt(text: str, limit: int = OUTPUT_EXCERPT_BYTES) -> str:
    """Cut text to at most ``limit`` bytes of UTF-8 without splitting a character."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def first_line(text: str, limit: int = 200) -> str:
    """The first non-empty line of a text, bounded: what a warning quotes of an output."""
    for line in text.splitlines():
        if line.strip():
            return excerpt(line.strip(), limit)
    return ""
