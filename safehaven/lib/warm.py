"""Start-up of a long-running server process: load what every request needs, then freeze it.

Python's cyclic garbage collector walks every live container object in its oldest
generation. After start-up that is Django, the URL configuration and our own modules: a
full collection took 40-50 ms, and it fell on whichever request happened to trigger it
(the 95th-percentile outliers in docs/benchmarks.md). `gc.freeze()` moves what exists at
start-up out of the collector's sight, so a full collection walks only what requests
create: a few milliseconds. Nothing is disabled; garbage is still collected.
"""

import gc


def freeze_after_startup() -> None:
    """Import the URL configuration (and with it every view), then freeze what exists."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every app's views and URL patterns
    gc.collect()
    gc.freeze()
