"""`trialcds screen --engine spark --master spark://…` on a standalone Spark cluster.

The test starts a master and one worker on 127.0.0.1 from the PySpark installation
(`bin/spark-class`, as Spark's standalone-mode documentation starts them by hand), screens
the small export on it, and stops them; the result equals the local engine's.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from screening import screen

pyspark = pytest.importorskip("pyspark", reason="the spark extra: pip install -e '.[spark]'")

SPARK_HOME = Path(pyspark.__file__).parent
START_TIMEOUT_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive_workers(ui_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5) as response:
            return int(json.load(response).get("aliveworkers", 0))
    except OSError:
        return 0


@pytest.fixture(scope="module")
def standalone_master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A Spark standalone master and one 2-core worker on loopback: the master's URL and the
    worker's work folder (where each application it runs executors for gets a folder)."""
    work = tmp_path_factory.mktemp("spark-standalone")
    port, ui_port, worker_ui_port = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    commands = [
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
         "--webui-port", str(ui_port)],
        [spark_class, "org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{port}", "--host", "127.0.0.1",
         "--cores", "2", "--memory", "2g", "--webui-port", str(worker_ui_port), "--work-dir", str(work / "worker")],
    ]
    processes = []
    try:
        for number, command in enumerate(commands):
            log = open(work / f"daemon-{number}.log", "wb")  # noqa: SIM115 - closed with the process below
            processes.append((subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT), log))
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while _alive_workers(ui_port) < 1:
            if time.monotonic() > deadline or any(p.poll() is not None for p, _ in processes):
                logs = "\n".join((work / f"daemon-{n}.log").read_text(errors="replace")[-2000:] for n in range(len(commands)))
                pytest.fail(f"the standalone Spark master and worker did not start:\n{logs}")
            time.sleep(1)
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
        yield f"spark://127.0.0.1:{port}", work / "worker"
    finally:
        os.environ.pop("SPARK_LOCAL_IP", None)
        for process, log in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def test_a_standalone_cluster_gives_what_the_local_engine_gives(
    standalone_master: tuple[str, Path], small_export: Path, tmp_path: Path
) -> None:
    master, worker_folder = standalone_master
    on_cluster = screen(small_export, tmp_path / "cluster", "--engine", "spark", "--master", master)
    assert list(worker_folder.glob("app-*")), "no executor ran on the standalone worker"
    local = screen(small_export, tmp_path / "local", "--workers", "2")
    assert on_cluster.exit_code == local.exit_code == 1, on_cluster.stderr
    assert set((on_cluster.out / "evaluations.ndjson").read_bytes().splitlines()) == set(
        (local.out / "evaluations.ndjson").read_bytes().splitlines())
    for name in ("attrition.csv", "candidates.csv", "not_evaluated.csv", "input_problems.csv"):
        assert (on_cluster.out / name).read_bytes() == (local.out / name).read_bytes(), name
    assert on_cluster.summary()["engine"] == "spark"
