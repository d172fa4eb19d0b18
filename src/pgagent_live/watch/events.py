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
]

ServerState = Literal["connecting", "live", "unreachable", "not_installed"]


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


class Progress(TypedDict):
    done: int
    total: int
    elapsed: float


class Event(TypedDict):
    """One ``job_status_update``: ``seq`` and ``epoch`` are stamped by the hub."""

    seq: int
    epoch: str
    type: EventType
    occurred_at: str
    server: ServerRef
    job: JobRef
    run: RunRef
    step: NotRequired[StepRef]
    progress: NotRequired[Progress]
    error: NotRequired[str]
    """For ``job_failed``: the failing step's output, bounded like ``step.output``."""


class LastRun(TypedDict):
    id: int
    status: str
    started_at: str
    duration: float | None
    steps_done: int
    steps_total: int


class JobState(TypedDict):
    """A job as the tree draws it."""

    id: int
    name: str
    description: str
    enabled: bool
    host_agent: str
    next_run: str | None
    status: str
    """``running`` while a run is open, else the last run's status, else ``idle``."""
    last_run: LastRun | None


class ServerSnapshot(TypedDict):
    id: str
    name: str
    state: ServerState
    message: str
    jobs: list[JobState]


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
