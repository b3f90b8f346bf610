"""A real dask-gateway server for tests: its local backend (schedulers and workers are processes of
this user), simple authentication (any password; the user name is who asks), the proxy on one
free loopback port, and ``worker_cores`` / ``worker_memory`` options as a hub would declare them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _services import free_port

CONFIG = '''
from dask_gateway_server.options import Float, Integer, Options

c.DaskGateway.address = "127.0.0.1:0"
c.Proxy.address = "127.0.0.1:{port}"
c.DaskGateway.backend_class = "dask_gateway_server.backends.local.UnsafeLocalBackend"
c.DaskGateway.authenticator_class = "dask_gateway_server.auth.SimpleAuthenticator"
c.DaskGateway.log_level = "WARN"
c.Proxy.log_level = "warn"
c.LocalBackend.clusters_directory = {clusters!r}
c.ClusterConfig.scheduler_cmd = [{python!r}, "-m", "distributed.cli.dask_scheduler"]
c.ClusterConfig.worker_cmd = [{python!r}, "-m", "distributed.cli.dask_worker"]
c.ClusterConfig.scheduler_memory = "512 M"
c.ClusterConfig.cluster_max_workers = 2


def options_handler(options):
    return {{"worker_cores": options.worker_cores, "worker_memory": int(options.worker_memory * 2**30)}}


c.Backend.cluster_options = Options(
    Integer("worker_cores", default=1, min=1, max=2, label="Worker cores"),
    Float("worker_memory", default=0.5, min=0.25, max=2, label="Worker memory (GiB)"),
    handler=options_handler,
)
'''


@contextmanager
def gateway_server(workdir: Path, timeout: float = 60.0) -> Iterator[str]:
    """Run ``dask-gateway-server`` until the block ends; answers its address (``http://...``)."""
    import requests

    port = free_port()
    config = workdir / "gateway_config.py"
    config.write_text(CONFIG.format(port=port, clusters=str(workdir / "clusters"), python=sys.executable))
    address = f"http://127.0.0.1:{port}"
    with open(workdir / "gateway.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "dask_gateway_server", "-f", str(config)],
                                   cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{address}/api/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log_tail = (workdir / "gateway.log").read_text()[-2000:]
                raise RuntimeError(f"dask-gateway-server did not start: {log_tail}")
            time.sleep(0.1)  # poll interval while the gateway starts
        yield address
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
