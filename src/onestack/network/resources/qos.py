"""QoS (the ``qos``, ``qos-bw-limit-direction``, ``qos-default`` and ``qos-rules-alias``
extensions): policies as a resource, and each rule type as data — its URL collection, its
parameters with their defaults and checks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from onestack.network.attributes import (Attr, Resource, invalid_attr, project_attrs,
                                         standard_attrs, to_bool, to_int)

MAX_INT = 2 ** 31 - 1
VALID_DSCP_MARKS = (0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40,
                    44, 46, 48, 56)
DIRECTIONS = ("egress", "ingress")

QOS_POLICY = Resource("policy", "policies", (
    *standard_attrs(),
    *project_attrs(),
    Attr("shared", default=False, put=True, convert=to_bool),
    Attr("is_default", default=False, put=True, convert=to_bool),
    Attr("rules", computed=True, post=False, filter=False, sort=False),
), label="QoS policy", not_found="QosPolicyNotFound")


def kbps(name: str) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        number = to_int(value)
        if not 0 <= number <= MAX_INT:
            raise invalid_attr(name, value, f"'{number}' is not in range 0 through {MAX_INT}")
        return number
    return convert


def dscp(value: Any) -> int:
    number = to_int(value)
    if number not in VALID_DSCP_MARKS:
        raise invalid_attr("dscp_mark", value,
                           f"'{number}' is not in {list(VALID_DSCP_MARKS)}")
    return number


def direction(value: Any) -> str:
    if value not in DIRECTIONS:
        raise invalid_attr("direction", value, f"'{value}' is not in {list(DIRECTIONS)}")
    return value


@dataclass(frozen=True)
class RuleKind:
    """One rule type: ``type`` as rule lists show it, the URL collection, and its
    parameters as (name, default or REQUIRED marker None, converter)."""

    type: str
    collection: str
    params: tuple[tuple[str, Any, Callable[[Any], Any]], ...]
    required: tuple[str, ...]

    @property
    def member(self) -> str:
        return self.collection[:-1]

    @property
    def has_direction(self) -> bool:
        return any(name == "direction" for name, _, _ in self.params)


RULE_KINDS = (
    RuleKind("bandwidth_limit", "bandwidth_limit_rules",
             (("max_kbps", None, kbps("max_kbps")),
              ("max_burst_kbps", 0, kbps("max_burst_kbps")),
              ("direction", "egress", direction)), ("max_kbps",)),
    RuleKind("dscp_marking", "dscp_marking_rules",
             (("dscp_mark", None, dscp),), ("dscp_mark",)),
    RuleKind("minimum_bandwidth", "minimum_bandwidth_rules",
             (("min_kbps", None, kbps("min_kbps")),
              ("direction", "egress", direction)), ("min_kbps",)),
)
KIND_BY_COLLECTION = {k.collection: k for k in RULE_KINDS}
KIND_BY_TYPE = {k.type: k for k in RULE_KINDS}
