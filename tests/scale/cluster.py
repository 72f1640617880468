"""Several `frontdesk run` processes behind a real HAProxy, on PostgreSQL and a Redis of their own,
fed by the Bot API emulator: what the scale-out scenario (test_load_balancer.py) and the load
benchmark (bench/load_bench.py --processes N) start. Real processes only; every wait that can give up
raises `Unready` naming what it waited for (an AssertionError, so a test fails saying so)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
SECRET = "scale-out-secret_0123456789"


class Unready(AssertionError):
    """Something the cluster waited for did not happen in time."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def tail(log: Path | None) -> str:
    """The end of a process's log, to show with a failure."""
    return f"\n--- {log} ---\n{log.read_text(errors='replace')[-3000:]}" if log and log.exists() else ""


async def wait_until(condition: Callable[[], bool], what: str, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise Unready(f"{what}: not within {timeout}s{tail(log)}")
        await asyncio.sleep(0.05)


async def run_command(args: list[str], timeout: float = 120.0) -> tuple[int, str]:
    """Run a command to its end without blocking the event loop (the emulator answers it from here)."""
    process = await asyncio.create_subprocess_exec(*args, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise Unready(f"{' '.join(args)} did not end within {timeout}s") from None
    return process.returncode, output.decode(errors="replace")


def spawn(args: list[str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)


def end(popen: subprocess.Popen | None, how: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    """Stop a process we started (by its pid), killing it when it does not go in `timeout` s."""
    if popen is None or popen.poll() is not None:
        return
    popen.send_signal(how)
    try:
        popen.wait(timeout)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait()


@dataclass
class RedisServer:
    """A redis-server of our own (never the shared one on 6379): stopped and started at will."""

    folder: Path
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.popen = spawn([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                            "--appendonly", "no", "--dir", str(self.folder)], self.folder / "redis.log")
        await wait_until(lambda: listening(self.port), f"redis-server on port {self.port}", 15,
                         self.folder / "redis.log")

    def stop(self) -> None:
        end(self.popen)
        self.popen = None


def haproxy_config(port: int, backends: list[int], *, health: bool = True) -> str:
    """Round robin over the workers, `/healthz` checked every 0.5 s (out after 2 failures), a POST
    that met a dead worker's refused or dropped connection sent to another one."""
    check = "    option httpchk GET /healthz\n    http-check expect status 200\n" if health else ""
    servers = "".join(f"    server w{p} 127.0.0.1:{p}{' check' if health else ''}\n" for p in backends)
    return (
        "global\n    maxconn 4096\n\n"
        "defaults\n    mode http\n    timeout connect 2s\n    timeout client 70s\n    timeout server 60s\n\n"
        f"frontend telegram\n    bind 127.0.0.1:{port}\n    default_backend frontdesk\n\n"
        "backend frontdesk\n    balance roundrobin\n" + check +
        "    default-server inter 500ms fall 2 rise 2\n"
        "    retry-on conn-failure empty-response 503\n    retries 2\n    option redispatch 1\n" + servers)


@dataclass
class HAProxy:
    folder: Path
    backends: list[int]
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen | None = None

    async def start(self) -> None:
        config = self.folder / "haproxy.cfg"
        config.write_text(haproxy_config(self.port, self.backends))
        code, output = await run_command([HAPROXY, "-c", "-f", str(config)])
        if code != 0:
            raise Unready(f"haproxy -c refused {config}:\n{output}")
        self.popen = spawn([HAPROXY, "-db", "-f", str(config)], self.folder / "haproxy.log")
        await wait_until(lambda: listening(self.port), f"HAProxy on port {self.port}", 15,
                         self.folder / "haproxy.log")

    def stop(self) -> None:
        end(self.popen)


def frontdesk_config(folder: Path, *, api_base: str, db_url: str, redis_url: str, webhook_url: str,
                     limits: str = "", log_level: str = "INFO") -> Path:
    """The one config every worker reads (each gets its own --listen port)."""
    path = folder / "config.toml"
    path.write_text(
        f'[telegram]\ntoken = "123456:SCALE"\napi_base = "{api_base}"\nmode = "webhook"\n'
        f'webhook_url = "{webhook_url}"\nwebhook_secret = "{SECRET}"\n{limits}\n'
        f'[desk]\nagent_chat_id = -1001000000001\nlanguage = "en"\n\n'
        f'[storage]\nurl = "{db_url}"\nfsm_url = "{redis_url}"\n\n'
        f'[kb]\npath = "{ROOT / "faq"}"\nwatch = false\n\n'
        f'[i18n]\ndefault_language = "en"\n\n[log]\nlevel = "{log_level}"\n')
    return path


def frontdesk_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "frontdesk.cli", *args]


@dataclass
class Worker:
    """One `frontdesk run` process listening on its own port."""

    name: str
    config: Path
    folder: Path
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.folder / f"{self.name}.log"

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    async def start(self) -> None:
        self.popen = spawn(frontdesk_command("run", "--config", str(self.config),
                                             "--listen", f"127.0.0.1:{self.port}"), self.log)
        await self.wait_healthy()

    async def healthy(self) -> bool:
        try:
            async with aiohttp.ClientSession() as session, session.get(
                    f"http://127.0.0.1:{self.port}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not await self.healthy():
            if self.popen is not None and self.popen.poll() is not None:
                raise Unready(f"{self.name} exited with {self.popen.returncode} before /healthz answered 200"
                              f"{tail(self.log)}")
            if time.monotonic() > deadline:
                raise Unready(f"{self.name}'s /healthz answering 200: not within {timeout}s{tail(self.log)}")
            await asyncio.sleep(0.1)

    def freeze(self) -> None:
        """SIGSTOP: the process runs no more (and opens no socket) until it is killed."""
        if self.popen is not None and self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGSTOP)

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye."""
        end(self.popen, signal.SIGKILL)

    def stop(self) -> None:
        end(self.popen, signal.SIGTERM, timeout=20)

    def ports(self) -> set[int]:
        """The local TCP ports this process has open (to tell its Bot API calls from the others')."""
        if self.popen is None or self.popen.poll() is not None:
            return set()
        inodes = set()
        fd_dir = Path(f"/proc/{self.pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        ports = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        return ports


@dataclass
class Cluster:
    """N workers behind HAProxy (or one worker alone, the balancer left out), on one database and a
    Redis of their own; the webhook registered once, as the deploy step does."""

    folder: Path
    api_base: str
    db_url: str
    processes: int = 3
    limits: str = ""
    log_level: str = "INFO"
    balancer: bool = True
    redis: RedisServer = field(init=False)
    haproxy: HAProxy | None = field(init=False, default=None)
    workers: list[Worker] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.redis = RedisServer(self.folder)

    async def start(self) -> None:
        await self.redis.start()
        ports = [free_port() for _ in range(self.processes)]
        if self.balancer:
            self.haproxy = HAProxy(self.folder, ports)
            entry = self.haproxy.port
        else:
            entry = ports[0]
        config = frontdesk_config(self.folder, api_base=self.api_base, db_url=self.db_url,
                                  redis_url=self.redis.url, webhook_url=f"http://127.0.0.1:{entry}/telegram",
                                  limits=self.limits, log_level=self.log_level)
        # Migrations once, before the workers (as a deploy does), then the webhook once.
        for command in (("db", "upgrade"), ("webhook", "set")):
            code, output = await run_command(frontdesk_command(*command, "--config", str(config)))
            if code != 0:
                raise Unready(f"frontdesk {' '.join(command)} failed:\n{output}")
        self.workers = [Worker(f"worker{n + 1}", config, self.folder, port) for n, port in enumerate(ports)]
        await asyncio.gather(*(worker.start() for worker in self.workers))
        if self.haproxy is not None:
            await self.haproxy.start()

    async def stop(self) -> None:
        """SIGTERM to every worker at once (they drain while the emulator, in this loop, still
        answers), then the balancer and Redis."""
        await asyncio.gather(*(asyncio.to_thread(worker.stop) for worker in self.workers))
        if self.haproxy is not None:
            self.haproxy.stop()
        self.redis.stop()

    def worker_of(self, port: int) -> Worker | None:
        """The worker whose socket has this local port (a Bot API call's `peer` port)."""
        for worker in self.workers:
            if port in worker.ports():
                return worker
        return None
