"""cProfile by signals, for the bench's fallback when py-spy cannot sample a service.

Python imports this at start-up when the bench puts this directory on PYTHONPATH and sets
XINFANG_BENCH_CPROFILE_OUT: SIGUSR1 starts profiling the main thread (the service's event loop),
SIGUSR2 stops and writes the statistics to that file.
"""

import cProfile
import os
import signal

_out = os.environ.get("XINFANG_BENCH_CPROFILE_OUT")
_profiler = cProfile.Profile()


def _start(signum, frame):  # type: ignore[no-untyped-def]
    _profiler.enable()


def _stop(signum, frame):  # type: ignore[no-untyped-def]
    _profiler.disable()
    _profiler.dump_stats(_out)


if _out:
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
