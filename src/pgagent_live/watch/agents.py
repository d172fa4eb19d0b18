"""The agents registered in ``pga_jobagent``, and when each comes online or goes offline."""

import dataclasses
from datetime import datetime

from pgagent_live.pgagent.rows import AgentRow
from pgagent_live.watch.events import AgentRef, Event, EventType, ServerRef


class AgentBook:
    """The last known agents of one server, by pid."""

    def __init__(self, server: ServerRef) -> None:
        self.server = server
        self.agents: dict[int, AgentRow] = {}

    def seed(self, agents: list[AgentRow]) -> None:
        self.agents = {agent.pid: agent for agent in agents}

    def apply(self, agents: list[AgentRow], now: datetime) -> list[Event]:
        """Take in the agents found now and return ``agent_online`` and ``agent_offline``."""
        found = {agent.pid: agent for agent in agents}
        events: list[Event] = []

        for pid, agent in found.items():
            before = self.agents.get(pid)
            if agent.alive and (before is None or not before.alive):
                events.append(self._event("agent_online", agent, agent.login_time))
            elif before is not None and before.alive and not agent.alive:
                events.append(self._event("agent_offline", agent, now))

        # A row deleted while its agent was thought alive: a clean stop or another's clean-up.
        for pid, before in self.agents.items():
            if pid not in found and before.alive:
                gone = dataclasses.replace(before, alive=False)
                events.append(self._event("agent_offline", gone, now))

        self.agents = found
        return events

    def alive_pids(self) -> set[int]:
        return {pid for pid, agent in self.agents.items() if agent.alive}

    def live_hosts(self) -> list[str]:
        return sorted({agent.host for agent in self.agents.values() if agent.alive})

    def host_of(self, pid: int | None) -> str | None:
        agent = self.agents.get(pid) if pid is not None else None
        return agent.host if agent else None

    def refs(self) -> list[AgentRef]:
        return [agent_ref(agent) for agent in self.agents.values()]

    def _event(self, kind: EventType, agent: AgentRow, occurred_at: datetime) -> Event:
        return Event(
            seq=0,
            epoch="",
            type=kind,
            occurred_at=occurred_at.isoformat(),
            server=self.server,
            agent=agent_ref(agent),
        )


def agent_ref(agent: AgentRow) -> AgentRef:
    return AgentRef(
        pid=agent.pid, host=agent.host, login_time=agent.login_time.isoformat(), alive=agent.alive
    )
