"""A stand-in for LiteLLM's PrometheusLogger at the places LiteLLM pushes to it directly.

Guardrail runs, team membership, provider budgets, managed batches and files and
the spend-capture job are reported by LiteLLM only to a ``PrometheusLogger`` it
finds with ``PrometheusLogger.get_instance()`` or an ``isinstance`` scan of
``litellm.callbacks``.  While instrumented, those look-ups fall back to a
:class:`PrometheusStandIn`, which records the same events on otel_litellm's
instruments; a real PrometheusLogger, when registered, still wins.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from otel_litellm import attributes as attr
from otel_litellm import families
from otel_litellm.instruments import Instruments
from otel_litellm.payload import number, put
from otel_litellm.spec import COMPLETE_OUTAGE

_log = logging.getLogger("otel_litellm")


class PrometheusStandIn:
    """Implements the PrometheusLogger methods LiteLLM calls outside the callback hooks."""

    def __init__(self, instruments: Instruments) -> None:
        self.instruments = instruments

    def _labels(self, **values: object) -> dict[str, str]:
        out: dict[str, str] = {}
        for label, value in values.items():
            put(out, attr.attribute_for_label(label), value)
        return out

    def _safely(self, what: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as error:
            _log.warning("otel_litellm: %s not recorded: %s", what, error)

    def _record_guardrail_metrics(
        self,
        guardrail_name: Any,
        latency_seconds: Any,
        status: Any,
        error_type: Any,
        hook_type: Any,
    ) -> None:
        def record() -> None:
            inst = self.instruments
            base = self._labels(guardrail_name=guardrail_name, hook_type=hook_type)
            latency = number(latency_seconds)
            if latency is not None and latency >= 0:
                labels = self._labels(status=status, error_type=error_type or "none")
                inst.record(families.GUARDRAIL_DURATION, latency, {**base, **labels})
            inst.record(families.GUARDRAIL_REQUESTS, 1, {**base, **self._labels(status=status)})
            if status == "error" and error_type:
                inst.record(
                    families.GUARDRAIL_ERRORS, 1, {**base, **self._labels(error_type=error_type)}
                )

        self._safely("guardrail run", record)

    def set_team_members_metric(self, team: Any) -> None:
        def record() -> None:
            members = getattr(team, "members_with_roles", None) or []
            labels = self._labels(
                team=getattr(team, "team_id", None), team_alias=getattr(team, "team_alias", None)
            )
            self.instruments.set(families.TEAM_MEMBERS, float(len(members)), labels)

        self._safely("team members", record)

    def track_provider_remaining_budget(self, provider: Any, spend: Any, budget_limit: Any) -> None:
        def record() -> None:
            limit, used = number(budget_limit), number(spend) or 0.0
            if limit is not None:
                self.instruments.set(
                    families.PROVIDER_BUDGET_REMAINING,
                    limit - used,
                    self._labels(api_provider=provider),
                )

        self._safely("provider budget", record)

    def record_managed_batch_created(
        self, model: Any, api_provider: Any, user: Any, user_email: Any, api_key_alias: Any
    ) -> None:
        self._count_created(
            families.MANAGED_BATCH_CREATED, model, api_provider, user, user_email, api_key_alias
        )

    def record_managed_file_created(
        self, model: Any, api_provider: Any, user: Any, user_email: Any, api_key_alias: Any
    ) -> None:
        self._count_created(
            families.MANAGED_FILE_CREATED, model, api_provider, user, user_email, api_key_alias
        )

    def _count_created(
        self,
        name: str,
        model: Any,
        api_provider: Any,
        user: Any,
        user_email: Any,
        api_key_alias: Any,
    ) -> None:
        labels = self._labels(
            model=model,
            api_provider=api_provider,
            user=user,
            user_email=user_email,
            api_key_alias=api_key_alias,
        )
        self._safely(name, lambda: self.instruments.record(name, 1, labels))

    def record_managed_file_size(
        self,
        size_bytes: Any,
        purpose: Any,
        file_type: Any,
        model: Any = None,
        api_provider: Any = None,
        user: Any = None,
    ) -> None:
        size = number(size_bytes)
        labels = self._labels(
            purpose=purpose, file_type=file_type, model=model, api_provider=api_provider, user=user
        )
        if size is not None and size >= 0:
            self._safely(
                "file size", lambda: self.instruments.set(families.MANAGED_FILE_SIZE, size, labels)
            )

    def record_managed_batch_duration(
        self, duration_seconds: Any, model: Any = None, api_provider: Any = None
    ) -> None:
        duration = number(duration_seconds)
        labels = self._labels(model=model, api_provider=api_provider)
        if duration is not None and duration >= 0:
            self._safely(
                "batch duration",
                lambda: self.instruments.record(families.MANAGED_BATCH_DURATION, duration, labels),
            )

    def record_managed_file_deleted(self, result: Any) -> None:
        labels = self._labels(result=result)
        self._safely(
            "file deleted",
            lambda: self.instruments.record(families.MANAGED_FILE_DELETED, 1, labels),
        )

    def record_check_batch_cost_run(self, jobs_polled: Any, processed_models: Any = None) -> None:
        def record() -> None:
            inst = self.instruments
            inst.set(families.BATCH_COST_LAST_RUN, time.time(), {})
            polled = number(jobs_polled)
            if polled is not None:
                inst.set(families.BATCH_COST_JOBS_POLLED, polled, {})
            for model, provider in processed_models or ():
                inst.record(
                    families.BATCH_COST_JOBS_PROCESSED,
                    1,
                    self._labels(model=model, api_provider=provider),
                )

        self._safely("batch cost run", record)

    def record_check_batch_cost_error(self, error_type: Any) -> None:
        labels = self._labels(error_type=error_type)
        self._safely(
            "batch cost error",
            lambda: self.instruments.record(families.BATCH_COST_ERRORS, 1, labels),
        )

    def set_spend_capture_rate(self, api_provider: Any, capture_rate: Any) -> None:
        def record() -> None:
            labels = self._labels(api_provider=api_provider)
            rate = number(capture_rate)
            if rate is None:  # LiteLLM shows NaN; no series says "no rate" more plainly
                self.instruments.remove(families.SPEND_CAPTURE_RATE, labels)
            else:
                self.instruments.set(families.SPEND_CAPTURE_RATE, rate, labels)

        self._safely("spend capture rate", record)

    def set_entity_counts(self, users: Any, active_users: Any, teams: Any) -> None:
        """User, active-user and team counts from a database reader."""
        counts = [number(users), number(active_users), number(teams)]
        if None not in counts:
            self._safely(
                "entity counts",
                lambda: self.instruments.set_entity_counts(*counts),  # type: ignore[arg-type]
            )

    # LiteLLM's router reports a cooldown by calling these two on the logger its
    # get_prometheus_logger_from_callbacks() finds; it passes the deployment's labels.
    def set_deployment_complete_outage(self, **labels: Any) -> None:
        attributes = self._deployment(labels)
        self._safely(
            "deployment outage",
            lambda: self.instruments.set(families.DEPLOYMENT_STATE, COMPLETE_OUTAGE, attributes),
        )

    def increment_deployment_cooled_down(self, **labels: Any) -> None:
        attributes = self._deployment(labels, "exception_status")
        self._safely(
            "cooldown",
            lambda: self.instruments.record(families.DEPLOYMENT_COOLDOWNS, 1, attributes),
        )

    def _deployment(self, given: dict[str, Any], *extra: str) -> dict[str, str]:
        """The deployment labels LiteLLM passes by keyword, and nothing else it may add."""
        names = ("litellm_model_name", "model_id", "api_base", "api_provider", *extra)
        return self._labels(**{name: given.get(name) for name in names})

    def increment_callback_logging_failure(self, callback_name: Any) -> None:
        self._safely(
            "callback failure",
            lambda: self.instruments.record(
                families.CALLBACK_LOGGING_FAILURES, 1, self._labels(callback_name=callback_name)
            ),
        )
