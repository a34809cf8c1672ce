"""What a router cooldown event tells: the deployment's labels, read from the router.

LiteLLM reports cooldowns only to its own PrometheusLogger (found with
``isinstance``); otel_litellm hears of them through the wrapper in
:mod:`otel_litellm.patches`, which calls :func:`cooldown_deployment`.
"""

from __future__ import annotations

import contextlib
from typing import Any, NamedTuple


class CooldownDeployment(NamedTuple):
    model_name: str
    model_id: Any
    api_base: str
    provider: str


def cooldown_deployment(router: Any, deployment_id: str) -> CooldownDeployment | None:
    import litellm

    deployment = router.get_deployment(model_id=deployment_id)
    if deployment is None:
        return None
    params = dict(deployment["litellm_params"])
    model_name = deployment.get("model_name") or ""
    api_base = litellm.get_api_base(model=model_name, optional_params=params) or ""
    provider = ""
    # An unknown provider leaves the label empty, as in LiteLLM.
    with contextlib.suppress(Exception):
        _, provider, _, _ = litellm.get_llm_provider(
            model=params.get("model") or "", custom_llm_provider=params.get("custom_llm_provider")
        )
    return CooldownDeployment(
        model_name, getattr(deployment["model_info"], "id", None), api_base, provider
    )
