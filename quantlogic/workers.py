"""Where independent pieces of work run: here, one after the other, or on a Dask distributed cluster (worker
processes started for this command, or a running cluster's scheduler). The only module that imports dask.
Results always come back in the order of the tasks, so what is built from them does not depend on where
they ran."""
import contextlib
import functools
import logging
import os
import re
import warnings
from dataclasses import dataclass

from .errors import QuantlogicError


# worker processes without the MALLOC_TRIM_THRESHOLD_ Dask sets for them: it turns off glibc's adaptive mmap
# threshold, and the passes, which allocate and free large arrays, ran 12 % slower with it
WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1,
                                                         "OPENBLAS_NUM_THREADS": 1},
                 # what Dask's processes do besides the work: sampling profilers every 10 ms, an event-loop
                 # tick every 20 ms, system and memory monitors; an idle local cluster of two workers took 8 %
                 # of a core with Dask's intervals, ~0 with these (for dashboards we do not show)
                 "distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
                 "distributed.admin.system-monitor.interval": "2s",
                 "distributed.worker.memory.monitor-interval": "1s"}
# a local cluster's scheduler serves its HTTP routes on a free port of this machine, and no dashboard
NO_DASHBOARD = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}


@dataclass(frozen=True)
class WorkerOptions:
    """workers: local worker processes (1: work here, no cluster); scheduler: a Dask scheduler's address
    (tcp://HOST:PORT), whose workers do the work; timeout: seconds to wait for the scheduler."""

    workers: int = 1
    scheduler: str = None
    timeout: float = 10.0


class Here:
    """Runs every task in this process, in order."""

    count = 1

    def map(self, fn, tasks, *shared):
        """fn(*shared, *task) of each task, in order, as they finish (an iterator)."""
        return (fn(*shared, *task) for task in tasks)


class Cluster:
    """Runs tasks on the workers of a dask.distributed Client."""

    def __init__(self, client):
        self.client = client
        self.count = max(1, len(client.scheduler_info().get("workers", {})))

    def map(self, fn, tasks, *shared):
        """fn(*shared, *task) of each task, run on the cluster (shared objects sent to every worker once), in
        the order of the tasks, as they finish."""
        tasks = list(tasks)
        if not tasks:
            return iter(())
        # a list of one: scatter would split a tuple, list or dict given bare into futures of its items
        sent = [self.client.scatter([obj], broadcast=True, hash=False)[0] for obj in shared]
        columns = [[s] * len(tasks) for s in sent] + [[_Args(task) for task in tasks]]
        with warnings.catch_warnings():  # each task's own arguments go with it, once: nothing to gain
            warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
            futures = self.client.map(functools.partial(_call, fn), *columns, pure=False)
        return self._results(futures)

    @staticmethod
    def _results(futures):
        from distributed import KilledWorker

        try:
            for future in futures:
                yield future.result()
        except KilledWorker as exc:
            raise QuantlogicError(f"a Dask worker died while running {exc.task} (out of memory?)") from None
        finally:
            for future in futures:
                future.cancel()


class _Args:
    """A task's own arguments as one object: Dask sends it as it is, where it would walk every nested list
    and tuple of the arguments looking for futures (seconds on a large layer's proof tasks)."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = tuple(values)


def _call(fn, *shared_then_args):
    """fn(*shared, *args) on a worker."""
    *shared, args = shared_then_args
    return fn(*shared, *args.values)


@contextlib.contextmanager
def open_workers(options=WorkerOptions()):
    """The place to run work for these options (Here, or a Cluster) for the duration of the block; an
    unreachable scheduler or a bad address raises QuantlogicError before any work starts."""
    if options.scheduler is None and options.workers <= 1:
        yield Here()
        return
    cores = os.cpu_count() or 1
    if options.scheduler is None and options.workers > cores:  # each is a process of its own, ~150 MB at rest
        raise QuantlogicError(f"--workers {options.workers}: this machine has {cores} cores; start at most {cores} "
                              "local workers (more machines: --scheduler)")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise QuantlogicError("--workers and --scheduler need dask.distributed (pip install distributed)") from None
    import dask

    for name in ("distributed", "tornado", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with contextlib.ExitStack() as stack:
        stack.enter_context(dask.config.set(WORKER_CONFIG))
        if options.scheduler is not None:
            client = stack.enter_context(_connect(Client, options.scheduler, options.timeout))
        else:
            cluster = stack.enter_context(_local_cluster(LocalCluster, options.workers))
            client = stack.enter_context(Client(cluster, set_as_default=False))
        yield Cluster(client)


def _local_cluster(cluster_class, n):
    """A LocalCluster of n worker processes with one thread each, or QuantlogicError saying why not."""
    try:
        return cluster_class(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                             silence_logs=logging.CRITICAL, scheduler_kwargs=NO_DASHBOARD)
    except (RuntimeError, OSError) as exc:
        raise QuantlogicError(f"could not start {n} local Dask worker processes: {exc} (a script read from "
                              "standard input cannot start them; run it from a file)") from None


def _connect(client_class, address, timeout):
    """A Client of the scheduler at address, or QuantlogicError saying why there is none."""
    _check_address(address)
    try:
        client = client_class(address, timeout=timeout, set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:
        raise QuantlogicError(f"cannot use the Dask scheduler {address!r}: {exc}") from None
    if not client.scheduler_info().get("workers"):
        client.close()
        raise QuantlogicError(f"the Dask scheduler {address!r} has no workers (start some: dask worker {address})")
    return client


NETWORK_SCHEMES = ("tcp", "tls", "ws", "wss")
HOST = r"(\[[0-9a-fA-F:.]{2,45}\]|(?=.{1,253}:)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*)"


def _check_address(address):
    """QuantlogicError unless address is [SCHEME://]HOST:PORT with a network scheme Dask can dial, a host name
    or IP address as DNS allows it and a port 1..65535 (a malformed one made Dask's client fail late and
    noisily)."""
    from distributed.comm import parse_address
    from distributed.comm.registry import get_backend

    shown = address if len(address) <= 80 else address[:77] + "..."
    try:
        scheme, location = parse_address(address)
        get_backend(scheme)
    except ValueError as exc:
        raise QuantlogicError(f"cannot use the Dask scheduler {shown!r}: {exc}") from None
    match = re.fullmatch(HOST + r":([0-9]{1,5})", location)
    if scheme not in NETWORK_SCHEMES or not match or not 0 < int(match.group(match.lastindex)) < 65536:
        raise QuantlogicError(f"cannot use the Dask scheduler {shown!r}: expected tcp://HOST:PORT (or "
                              f"{', '.join(NETWORK_SCHEMES[1:])}; port 1-65535)")
