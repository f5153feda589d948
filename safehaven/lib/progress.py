"""A small progress bar for long commands (written to stderr, quiet when not a terminal)."""

import sys
import time


class Progress:
    def __init__(self, label: str, total: int, *, stream=None, enabled: bool = True):
        self.label, self.total, self.done = label, max(total, 1), 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.started = time.monotonic()
        self._last = 0.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.2 or self.done >= self.total):
            self._last = now
            frac = min(self.done / self.total, 1.0)
            bar = "#" * int(frac * 30)
            self.stream.write(f"\r{self.label:<14} [{bar:<30}] {frac:6.1%} {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write(f"  ({time.monotonic() - self.started:.1f}s)\n")
            self.stream.flush()
