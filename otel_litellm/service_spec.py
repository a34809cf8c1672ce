"""The service families: LiteLLM's "Monitor System Health" metrics, as table rows.

LiteLLM's services logger (``service_callback: ["prometheus_system"]``) declares, for
every member of ``litellm.types.services.ServiceTypes``, the families its
``DEFAULT_SERVICE_CONFIGS`` entry asks for (a histogram and two counters when the
service has no entry):

* ``litellm_<service>_latency`` histogram, LiteLLM's latency buckets;
* ``litellm_<service>_total_requests`` and ``litellm_<service>_failed_requests`` counters;
* ``litellm_<service>_size`` gauge (spend-update queues, pod lock manager).

Each family is labelled by a label *named* after the service, whose value is the
service (the gauge's value is the reporter's ``gauge_labels`` instead); failures add
``error_class`` and ``function_name``.  ``SERVICES`` is that list for the pinned
LiteLLM (tests/test_services.py checks it against the installed one).
"""

from __future__ import annotations

from typing import Final

from otel_litellm.spec import LATENCY_BUCKETS, Kind, MetricSpec

# Semantic attributes of the service instruments.
SERVICE_NAME: Final = "litellm.service.name"
GAUGE_LABEL: Final = "litellm.service.gauge_label"  # the reporter's gauge_labels
ERROR_TYPE: Final = "error.type"  # LiteLLM: error_class
FUNCTION_NAME: Final = "code.function.name"  # LiteLLM: function_name (the call_type)
DB_SYSTEM: Final = "db.system.name"

GROUP: Final = "services"

# service -> the kinds LiteLLM declares for it, in LiteLLM's declaration order.
_TIMED = (Kind.HISTOGRAM, Kind.COUNTER)
_QUEUE = (Kind.GAUGE,)
SERVICES: Final[dict[str, tuple[Kind, ...]]] = {
    "redis": _TIMED,
    "postgres": _TIMED,
    "batch_write_to_db": _TIMED,
    "reset_budget_job": _TIMED,
    "self": _TIMED,
    "router": _TIMED,
    "auth": _TIMED,
    "proxy_pre_call": _TIMED,
    "pod_lock_manager": _QUEUE,
    "anthropic_wif": _TIMED,
    "anthropic_wif_cache": (Kind.COUNTER,),
    "in_memory_daily_spend_update_queue": _QUEUE,
    "redis_daily_spend_update_queue": _QUEUE,
    "redis_daily_end_user_spend_update_queue": _QUEUE,
    # No DEFAULT_SERVICE_CONFIGS entry in LiteLLM, so its default: latency + counters.
    "redis_daily_org_spend_update_queue": _TIMED,
    "redis_daily_team_spend_update_queue": _TIMED,
    "redis_daily_agent_spend_update_queue": _QUEUE,
    "redis_daily_tag_spend_update_queue": _TIMED,
    "in_memory_spend_update_queue": _QUEUE,
    "redis_spend_update_queue": _QUEUE,
    "redis_window_spend_update_queue": _TIMED,
}

# Services that are database clients get the db semantic convention's system name.
DB_SYSTEMS: Final[dict[str, str]] = {"redis": "redis", "postgres": "postgresql"}


def duration_name(service: str) -> str:
    return f"litellm.service.{service}.operation.duration"


def requests_name(service: str) -> str:
    return f"litellm.service.{service}.requests"


def failed_name(service: str) -> str:
    return f"litellm.service.{service}.failed_requests"


def size_name(service: str) -> str:
    return f"litellm.service.{service}.size"


def _rows(service: str, kinds: tuple[Kind, ...]) -> list[MetricSpec]:
    labelled = ((service, SERVICE_NAME),)
    extra = (DB_SYSTEM,) if service in DB_SYSTEMS else ()
    rows: list[MetricSpec] = []
    if Kind.HISTOGRAM in kinds:
        rows.append(
            MetricSpec(duration_name(service), Kind.HISTOGRAM, "s",
                       f"Latency of successful {service} calls.", f"litellm_{service}_latency",
                       (service,), "async_service_success_hook duration", GROUP,
                       LATENCY_BUCKETS, None, extra, labelled)
        )  # fmt: skip
    if Kind.COUNTER in kinds:
        rows.append(
            MetricSpec(failed_name(service), Kind.COUNTER, "{request}",
                       f"Failed {service} calls.", f"litellm_{service}_failed_requests",
                       (service, "error_class", "function_name"),
                       "+1 per async_service_failure_hook", GROUP, None, None, extra,
                       (*labelled, ("error_class", ERROR_TYPE), ("function_name", FUNCTION_NAME)))
        )  # fmt: skip
        rows.append(
            MetricSpec(requests_name(service), Kind.COUNTER, "{request}",
                       f"{service} calls, successful and failed.",
                       f"litellm_{service}_total_requests", (service,),
                       "+1 per service success or failure hook", GROUP, None, None, extra, labelled)
        )  # fmt: skip
    if Kind.GAUGE in kinds:
        rows.append(
            MetricSpec(size_name(service), Kind.GAUGE, "{item}", f"Size reported by {service}.",
                       f"litellm_{service}_size", (service,),
                       "event_metadata gauge_value, labelled by its gauge_labels", GROUP,
                       label_attributes=((service, GAUGE_LABEL),))
        )  # fmt: skip
    return rows


# The Redis circuit breaker (LiteLLM 1.108+ reports it through
# ``ServiceLogging.redis_breaker_hook``; 1.106 writes the same families from its cache
# module straight to prometheus_client, which otel_litellm.bridge carries instead).
BREAKER_STATE: Final = "litellm.redis.circuit_breaker.state"
BREAKER_STATES: Final = ("closed", "open", "half_open")  # LiteLLM's RedisCircuitBreaker states
BREAKER_GROUP: Final = "redis_circuit_breaker"
BREAKER_BREAKERS: Final = "litellm.redis.circuit_breaker.breakers"
BREAKER_TRANSITIONS: Final = "litellm.redis.circuit_breaker.transitions"
BREAKER_FAILURES: Final = "litellm.redis.circuit_breaker.failures"
_BREAKER_BY_STATE = (("state", BREAKER_STATE),)
BREAKER_METRICS: Final[tuple[MetricSpec, ...]] = (
    MetricSpec(BREAKER_BREAKERS, Kind.GAUGE, "{breaker}",
               "Redis circuit breakers currently in each state.",
               "litellm_redis_circuit_breaker_state", ("state",),
               "live breakers per state, re-read at every breaker event; 0 at start-up",
               BREAKER_GROUP, label_attributes=_BREAKER_BY_STATE),
    MetricSpec(BREAKER_TRANSITIONS, Kind.COUNTER, "{transition}",
               "Redis circuit breaker state transitions, by the state entered.",
               "litellm_redis_circuit_breaker_transitions", ("state",),
               "+1 per redis_breaker_hook transitions_to", BREAKER_GROUP,
               label_attributes=_BREAKER_BY_STATE),
    MetricSpec(BREAKER_FAILURES, Kind.COUNTER, "{failure}",
               "Redis health failures counted by the circuit breaker.",
               "litellm_redis_circuit_breaker_failures", ("failure_class",),
               "+1 per redis_breaker_hook failure_class", BREAKER_GROUP,
               label_attributes=(("failure_class", ERROR_TYPE),)),
)  # fmt: skip

SERVICE_METRICS: Final[tuple[MetricSpec, ...]] = (
    *(row for service, kinds in SERVICES.items() for row in _rows(service, kinds)),
    *BREAKER_METRICS,
)
