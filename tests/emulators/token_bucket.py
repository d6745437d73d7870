"""AWS's request quotas as the emulators enforce them: a token bucket per quota."""

from __future__ import annotations

import threading
import time


class TokenBucket:
    """Holds up to `burst` tokens (default: `rate`) and regains `rate` a second; each request
    takes one, and one that finds none is throttled."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = float(rate if burst is None else burst)
        self.tokens = self.burst
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False
