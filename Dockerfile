# LiteLLM proxy with otel_litellm installed; also runs the mock upstream.
# Used by docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    # No price-map download at start-up.
    LITELLM_LOCAL_MODEL_COST_MAP=True

WORKDIR /app
COPY pyproject.toml README.md ./
COPY otel_litellm ./otel_litellm
RUN pip install ".[proxy]" "litellm[proxy]==1.106.2"

EXPOSE 4000 8080
CMD ["litellm", "--config", "/app/config.yaml", "--host", "0.0.0.0", "--port", "4000"]
