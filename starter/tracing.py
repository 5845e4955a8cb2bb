"""OpenTelemetry tracing, configured by the standard `OTEL_*` variables.

`OTEL_TRACES_EXPORTER=console` prints spans to stderr; `otlp` sends them to
`OTEL_EXPORTER_OTLP_ENDPOINT` (needs opentelemetry-exporter-otlp); unset or `none`
records nothing. `OTEL_SERVICE_NAME` defaults to `attune`.
"""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter


class TracingConfigError(ValueError):
    pass


def _exporter(name: str) -> SpanExporter | None:
    if name in ("", "none"):
        return None
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError as err:
            raise TracingConfigError(
                "OTEL_TRACES_EXPORTER=otlp needs `pip install opentelemetry-exporter-otlp`"
            ) from err
        return OTLPSpanExporter()
    raise TracingConfigError(f"OTEL_TRACES_EXPORTER={name!r} is not one of console, otlp, none")


def configure_tracing(console: bool = False) -> None:
    """Install a tracer provider once per process, exporting as the environment asks."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    name = "console" if console else os.environ.get("OTEL_TRACES_EXPORTER", "none").strip()
    exporter = _exporter(name.lower())
    if exporter is None:
        return
    service = os.environ.get("OTEL_SERVICE_NAME", "attune")
    resource = Resource.create({"service.name": service}).merge(OTELResourceDetector().detect())
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def shutdown_tracing() -> None:
    """Export what is buffered; for processes that end without running atexit hooks."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()
