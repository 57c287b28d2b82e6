"""Powertools for AWS Lambda: one JSON Logger and one EMF Metrics object for the whole function.

Rules kept here so every interface follows them:
- never log raw user text, the API key or a full presigned URL (log the object key; :func:`redact_url` strips the
  signature from any URL that must appear);
- metrics: SynthesisSeconds, RTF (synthesis seconds per audio second), Characters, CacheHit (0/1), all in the
  namespace ``POWERTOOLS_METRICS_NAMESPACE`` (default ``SambertLambda``), flushed as EMF once per invocation by
  the handler's ``metrics.log_metrics``, which also adds Powertools' own ColdStart metric.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from sambert_lambda.settings import powertools_names

SERVICE, NAMESPACE = powertools_names()

logger = Logger(service=SERVICE)  # POWERTOOLS_LOG_LEVEL; TTS_LOG_LEVEL is applied from Settings at init
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)


def redact_url(url: str) -> str:
    """The URL without its query string (a presigned URL's query is the credential)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def record_request(*, cached: bool, characters: int, synthesis_s: float = 0.0, audio_s: float = 0.0) -> None:
    """Count one synthesis request: a cache hit, or a synthesis with its time and real-time factor."""
    metrics.add_metric(name="CacheHit", unit=MetricUnit.Count, value=1 if cached else 0)
    metrics.add_metric(name="Characters", unit=MetricUnit.Count, value=characters)
    if not cached:
        metrics.add_metric(name="SynthesisSeconds", unit=MetricUnit.Seconds, value=round(synthesis_s, 4))
        if audio_s > 0:
            metrics.add_metric(name="RTF", unit=MetricUnit.NoUnit, value=round(synthesis_s / audio_s, 4))
