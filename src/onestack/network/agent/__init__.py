"""The network agent of a host (``NetworkAgent``): level-triggered reconcile of the ports,
routers, DHCP servers and networks that concern one host, through a ``NetworkDriver``;
``desired`` reads what the database asks for, ``runner`` starts agents as workers."""
from onestack.network.agent.host import NetworkAgent

__all__ = ["NetworkAgent"]
