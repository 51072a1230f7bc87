"""The host agent's reconcile, kept importable under its old name: the agent now lives in
``onestack.compute.agent`` (host, task steps, moves, observation)."""
from onestack.compute.agent import HostAgent, spec_of
from onestack.compute.agent.tasks import SIMPLE_ACTIONS

__all__ = ["HostAgent", "SIMPLE_ACTIONS", "spec_of"]
