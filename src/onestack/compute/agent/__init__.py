"""The host agent (``HostAgent``): level-triggered reconcile of the instances that concern
one host, its task steps (``tasks``, ``moves``), and the comparison of the hypervisor with
the database (``observe``)."""
from onestack.compute.agent.host import HostAgent
from onestack.compute.agent.spec import spec_of

__all__ = ["HostAgent", "spec_of"]
