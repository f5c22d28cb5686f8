"""Worker processes for `survey serve --workers N`, each with a listening socket of its own.

uvicorn's workers share one listening socket, and the worker that wakes first accepts every connection waiting (up to
its backlog) in one go. Clients that keep their connections open (a reverse proxy's pool of upstream connections, a
load generator) can so end up all on one worker while the others idle: with 64 keep-alive connections on 2 workers,
bench/ingest.py saw [64, 0], [46, 18] and [32, 32] from one run to the next, and with all of them on one worker the
machine ran 1.1 of its 2 cores. Here each worker has its own socket bound to the same address with SO_REUSEPORT, and
Linux spreads new connections over the sockets by a hash of the client's address and port.

The supervisor keeps every socket open: a worker that dies is started again on its socket, and the connections that
arrive meanwhile wait in that socket's queue instead of being refused. Where SO_REUSEPORT does not spread connections
(not Linux), `survey serve` uses uvicorn's own workers.

    python -m survey.workers --workers 2 --host 127.0.0.1 --port 8000   # what tests/load/service.py runs
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Sequence

APP = "survey.api.app:app_from_env"  # each worker builds its app from the SURVEY_* environment
QUICK_DEATH_S = 5.0  # a worker that ends this soon after its start, twice in a row, ends the service


def balances() -> bool:
    """Whether this system spreads the connections of SO_REUSEPORT sockets over them (Linux does)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets listening on host:port together (port 0: one the system picks, the same for all)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP: asyncio sets TCP_NODELAY
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.listen(2048)  # uvicorn's default backlog
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def serve_workers(host: str, port: int, workers: int, *, log_level: str = "info", access_log: bool = True) -> int:
    """Run `workers` worker processes of the service until SIGTERM or SIGINT; the exit status."""
    try:
        sockets = listening_sockets(host, port, workers)
    except OSError as exc:
        print(f"survey: cannot listen on {host}:{port}: {exc}", file=sys.stderr, flush=True)
        return 1
    context = multiprocessing.get_context("spawn")
    stopping: list[int] = []

    def start(index: int) -> tuple[multiprocessing.process.BaseProcess, float]:
        process = context.Process(target=_worker, args=(sockets[index], log_level, access_log),
                                  name=f"survey-worker-{index}")
        process.start()
        return process, time.monotonic()

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    status = 0
    try:
        running = [start(index) for index in range(workers)]
        quick = [0] * workers
        while not stopping:
            for index, (process, started) in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                quick[index] = quick[index] + 1 if time.monotonic() - started < QUICK_DEATH_S else 0
                if quick[index] >= 2:
                    print(f"survey: worker {index} ended at start twice (exit {process.exitcode}); stopping",
                          file=sys.stderr, flush=True)
                    stopping.append(0)
                    status = 1
                    break
                print(f"survey: worker {index} (pid {process.pid}) ended (exit {process.exitcode}); starting another",
                      file=sys.stderr, flush=True)
                running[index] = start(index)
            time.sleep(0.2)
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in hand, then ends
        for process, _ in running:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for sock in sockets:
            sock.close()
    return status


def _worker(sock: socket.socket, log_level: str, access_log: bool) -> None:
    import uvicorn

    config = uvicorn.Config(APP, factory=True, log_level=log_level, access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m survey.workers", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers: at least 1")
    return serve_workers(args.host, args.port, args.workers, log_level=args.log_level,
                         access_log=not args.no_access_log)


if __name__ == "__main__":
    sys.exit(main())
