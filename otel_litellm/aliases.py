"""Opt-in legacy names from LiteLLM's first Prometheus integration (seeds 000 and 002).

Off by default.  ``legacy_aliases=True`` (or ``OTEL_LITELLM_LEGACY_ALIASES=all``, or a
comma-separated list of the names below) exports each name with its original label
set, read from the instrument that records the same value today:

* ``litellm_requests_metric`` and ``litellm_llm_api_failed_requests_metric`` are still
  LiteLLM families, exported by default with LiteLLM's current, larger label set.  One
  name is one family, so the alias narrows that family to the seed's six labels
  (as LiteLLM's own ``include_labels`` would); queries over those labels work either way.
* ``litellm_total_tokens`` (a counter, seed 002) and ``litellm_redis_fails`` (seed 000;
  it counts only while the service families are recorded) are added as families of
  their own.

The one clash: the database gauges (seed 003) also export ``litellm_total_tokens``, as a
per-model gauge.  A counter and a gauge cannot share a family in one exposition, so the
database gauge keeps the name: with a ``database_url``, ``legacy_aliases=True`` leaves
the counter alias out (with a warning), and asking for it by name is an error.  The
same tokens stay available as the counter ``litellm_total_tokens_metric``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from otel_litellm.naming import Naming
from otel_litellm.service_spec import failed_name
from otel_litellm.spec import BY_LITELLM_NAME, Kind, MetricSpec

_log = logging.getLogger("otel_litellm")

# Seed 002's PrometheusLogger labels, in its order.
SEED_LABELS: Final = ("end_user", "hashed_api_key", "model", "team", "team_alias", "user")
CLASHING: Final = "litellm_total_tokens"  # also a database gauge (otel_litellm.db)

_C = Kind.COUNTER
ALIASES: Final[tuple[MetricSpec, ...]] = (
    MetricSpec("litellm.requests", _C, "{request}", "Total number of LLM calls to litellm.",
               "litellm_requests_metric", SEED_LABELS, "alias: litellm.requests", "aliases"),
    MetricSpec("litellm.llm_api.failed_requests", _C, "{request}",
               "Total number of failed LLM API calls via litellm.",
               "litellm_llm_api_failed_requests_metric", SEED_LABELS,
               "alias: litellm.llm_api.failed_requests", "aliases"),
    MetricSpec("litellm.usage.total_tokens", _C, "{token}",
               "Total number of input + output tokens from LLM requests.",
               "litellm_total_tokens", SEED_LABELS, "alias: litellm.usage.total_tokens", "aliases"),
    MetricSpec(failed_name("redis"), _C, "{request}", "Number of failed redis calls.",
               "litellm_redis_fails", ("redis",), f"alias: {failed_name('redis')}", "aliases",
               label_attributes=(("redis", "litellm.service.name"),)),
)  # fmt: skip
BY_NAME: Final = {alias.litellm_name: alias for alias in ALIASES}
_ALL = ("all", "true", "1", "yes", "on")
_NONE = ("", "none", "false", "0", "no", "off")


def resolve(requested: object, database_url: str | None = None) -> tuple[str, ...]:
    """The alias names ``requested`` turns on (bool, ``"all"``, or names)."""
    if requested is None or requested is False:
        return ()
    everything = requested is True
    names: list[str] = []
    if isinstance(requested, str):
        if requested.strip().lower() in _ALL:
            everything = True
        elif requested.strip().lower() not in _NONE:
            names = [n.strip() for n in requested.split(",") if n.strip()]
    elif isinstance(requested, Iterable):
        names = [str(n) for n in requested]
    elif not everything:
        raise ValueError(f"legacy_aliases: expected a bool or alias names, got {requested!r}")
    if everything:
        names = list(BY_NAME)
        if database_url:
            names.remove(CLASHING)
            _log.warning(
                "otel_litellm: legacy alias %s left out: the database gauge of that name is "
                "exported (use litellm_total_tokens_metric for the counter)",
                CLASHING,
            )
    unknown = set(names) - BY_NAME.keys()
    if unknown:
        raise ValueError(f"unknown legacy alias(es): {', '.join(sorted(unknown))}")
    if database_url and CLASHING in names:
        raise ValueError(
            f"legacy alias {CLASHING} (a counter) cannot be exported with the database gauges, "
            f"which export {CLASHING} as a gauge; use litellm_total_tokens_metric"
        )
    return tuple(dict.fromkeys(names))


def narrowed_labels(
    names: Iterable[str], include_labels: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """``include_labels`` with each live family an alias names narrowed to the seed's labels."""
    narrowed = {family: tuple(labels) for family, labels in include_labels.items()}
    for name in names:
        if name in BY_LITELLM_NAME and name not in narrowed:
            narrowed[name] = BY_NAME[name].labels
    return narrowed


def extra_specs(naming: Naming, names: Iterable[str]) -> tuple[MetricSpec, ...]:
    """The aliases exported as families of their own (litellm naming only)."""
    if not naming.litellm:
        return ()
    return tuple(BY_NAME[name] for name in names if name not in BY_LITELLM_NAME)
