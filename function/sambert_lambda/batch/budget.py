"""The invocation's time budget: stop starting new work when the rest might not finish before the timeout.

A unit is started only if the time left, minus the safety margin (``TTS_BATCH_TIME_MARGIN_MS``), exceeds the
longest unit seen so far in this invocation. Without a Lambda context (CLI, tests) the budget never runs out.
"""

from __future__ import annotations

from typing import Any


class Budget:
    def __init__(self, context: Any = None, margin_ms: int = 0) -> None:
        self._remaining = getattr(context, "get_remaining_time_in_millis", None)
        self.margin_ms = int(margin_ms)
        self.longest_ms = 0.0

    def remaining_ms(self) -> float | None:
        if self._remaining is None:
            return None
        try:
            return float(self._remaining())
        except (TypeError, ValueError):
            return None

    def exhausted(self) -> bool:
        left = self.remaining_ms()
        return left is not None and left - self.margin_ms <= self.longest_ms

    def record(self, seconds: float) -> None:
        self.longest_ms = max(self.longest_ms, seconds * 1000.0)
