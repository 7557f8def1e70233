"""The sandbox and the demo: started and stopped cleanly, whoever starts them and however they are stopped.

These tests restart or stop the shared Asterisk sandbox, so like every e2e test they run under
/tmp/terugbel-e2e.lock; each one leaves the sandbox running when it ends.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import REPO, Ari, sandbox

pytestmark = pytest.mark.e2e

SANDBOX_DIR = Path(os.environ.get("TERUGBEL_SANDBOX_DIR", REPO / ".sandbox"))
PIDFILE = SANDBOX_DIR / "asterisk.pid"
MESSAGES_LOG = SANDBOX_DIR / "instance" / "log" / "messages.log"
SIP = ("127.0.0.1", 5060)
DEMO_READY_SECONDS = 90.0  # make, the sandbox start and the controller's prompt build on a cold machine
DEMO_STOP_SECONDS = 30.0  # the controller's stop and Asterisk's (scripts/asterisk-sandbox allows it 15 s)
RESIGNAL_EVERY = 0.02  # seconds between repeated signals: many land inside the demo's own cleanup


@pytest.fixture
def sandbox_left_running() -> Iterator[None]:
    """Whatever the test did to the sandbox, it is running again afterwards for the other tests."""
    yield
    sandbox("start")


def asterisk_pid() -> int:
    return int(PIDFILE.read_text().strip())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").is_file() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def sip_port_free() -> bool:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind(SIP)
    except OSError:
        return False
    finally:
        probe.close()
    return True


def test_asterisk_keeps_no_file_of_the_process_that_started_it(tmp_path: Path, sandbox_left_running) -> None:
    """A lock held by whoever runs `asterisk-sandbox restart` is free again once that process lets go."""
    held = tmp_path / "e2e.lock"
    with held.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(
            [str(REPO / "scripts" / "asterisk-sandbox"), "restart"],
            pass_fds=(lock.fileno(),),
            check=True,
            capture_output=True,
            timeout=120,
        )
    with held.open("w") as again:
        try:
            fcntl.flock(again, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holders = [
                fd for fd in Path(f"/proc/{asterisk_pid()}/fd").iterdir() if os.readlink(fd) == str(held)
            ]
            raise AssertionError(f"Asterisk (pid {asterisk_pid()}) still holds the lock: {holders}") from None


def asterisk_cli(command: str) -> str:
    """One Asterisk CLI command on the sandbox's Asterisk (the chroot's, or the system's)."""
    conf = SANDBOX_DIR / "instance" / "etc" / "asterisk.conf"
    root = SANDBOX_DIR / "asterisk-root"
    argv = ["asterisk", "-C", str(conf), "-rx", command]
    if Path(f"/proc/{asterisk_pid()}/root").resolve() == root.resolve():
        argv = ["chroot", str(root), "/usr/sbin/asterisk", *argv[1:]]
    return subprocess.run(argv, capture_output=True, text=True, timeout=10, check=True).stdout


def test_hold_music_class_exists_when_asterisk_starts_before_any_prompt_build(sandbox_left_running) -> None:
    """Started with no hold music built yet (a fresh clone), Asterisk still has the `terugbel` music class."""
    sandbox("stop")
    moh = SANDBOX_DIR / "instance" / "sounds" / "moh"
    for path in moh.glob("*"):
        path.unlink()
    sandbox("start")
    classes = asterisk_cli("moh show classes")
    assert "Class: terugbel" in classes, f"no hold music class after a start with an empty {moh}: {classes!r}"


def originate(ari: Ari, **params: str) -> tuple[int, bytes]:
    query = urllib.parse.urlencode(params)
    request = urllib.request.Request(f"{ari.url}/channels?{query}", method="POST", headers=ari.headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def hang_up(ari: Ari, channel_id: str) -> None:
    request = urllib.request.Request(f"{ari.url}/channels/{channel_id}", method="DELETE", headers=ari.headers)
    try:
        urllib.request.urlopen(request, timeout=5).close()
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise


def wait_for_log(offset: int, text: str, seconds: float) -> str:
    """Asterisk's messages.log from `offset` on, once it contains `text` (its logger thread writes late)."""
    end = time.monotonic() + seconds
    while True:
        with MESSAGES_LOG.open(errors="replace") as log:
            log.seek(offset)
            new = log.read()
        if text in new:
            return new
        if time.monotonic() > end:
            raise AssertionError(f"{text!r} did not reach {MESSAGES_LOG} in {seconds} s:\n{new[-2000:]}")
        time.sleep(0.05)


def test_an_outgoing_call_leg_looks_up_no_name(ari: Ari) -> None:
    """Dialling out (as spoed, overflow and callbacks do) makes Asterisk look up no host name over DNS."""
    if Path(f"/proc/{asterisk_pid()}/root").resolve() != (SANDBOX_DIR / "asterisk-root").resolve():
        pytest.skip("the system's own Asterisk runs with the host's name service, not the sandbox root's")
    offset = MESSAGES_LOG.stat().st_size
    far_end = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    far_end.bind(("127.0.0.1", 0))
    channel_id = f"dns-probe-{time.monotonic_ns()}"
    try:
        status, body = originate(
            ari,
            endpoint=f"PJSIP/provider/sip:dnsprobe@127.0.0.1:{far_end.getsockname()[1]}",
            context="terugbel-probe",
            extension="probe",
            channelId=channel_id,
        )
        assert status == 200, body
        far_end.settimeout(10)
        assert far_end.recv(65535).startswith(b"INVITE "), "the call leg's INVITE"
    finally:
        far_end.close()
        hang_up(ari, channel_id)
    # A marker that Asterisk logs after the INVITE was built: every line about that leg is written by then.
    marker = f"terugbel-no-endpoint-{time.monotonic_ns()}"
    status, _ = originate(ari, endpoint=f"PJSIP/{marker}", context="terugbel-probe", extension="probe")
    assert status >= 400
    new = wait_for_log(offset, marker, 10)
    lookups = [line for line in new.splitlines() if "Unable to lookup" in line or "getaddrinfo" in line]
    assert not lookups, "\n".join(lookups)


def process_group_gone(leader: subprocess.Popen[bytes]) -> bool:
    leader.poll()  # reap make, so a zombie leader does not keep the group alive
    try:
        os.killpg(leader.pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize(
    ("signum", "repeat"),
    [(signal.SIGTERM, False), (signal.SIGTERM, True), (signal.SIGINT, True)],
    ids=["sigterm-once", "sigterm-repeated", "sigint-repeated"],
)
def test_make_demo_stops_everything_on_a_signal_to_its_group(
    signum: signal.Signals, repeat: bool, tmp_path: Path, sandbox_left_running
) -> None:
    """A signal to `make demo`'s process group, once (timeout, a supervisor) or again and again (make passing
    SIGTERM on, Ctrl-C twice), stops the controller and Asterisk and frees the SIP port."""
    output = tmp_path / "demo.log"
    env = {
        **os.environ,
        "TERUGBEL_LOG_FORMAT": "json",
        "TERUGBEL_DATA_DIR": str(tmp_path / "data"),  # not the repository's var/
    }
    with output.open("wb") as out:
        # -o: never reinstall the venv from inside a test; a new session: its own group, as under `timeout`.
        demo = subprocess.Popen(
            ["make", "--no-print-directory", "-o", ".venv/.installed", "demo"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        end = time.monotonic() + DEMO_READY_SECONDS
        while '"event": "reconciled"' not in output.read_text(errors="replace"):
            assert demo.poll() is None, f"make demo exited ({demo.returncode}):\n{output.read_text()[-3000:]}"
            assert time.monotonic() < end, f"the demo was not ready in {DEMO_READY_SECONDS} s"
            time.sleep(0.1)
        pid = asterisk_pid()
        os.killpg(demo.pid, signum)
        end = time.monotonic() + DEMO_STOP_SECONDS
        while not process_group_gone(demo):
            assert time.monotonic() < end, f"make demo still runs {DEMO_STOP_SECONDS} s after {signum!r}"
            time.sleep(RESIGNAL_EVERY)
            if repeat:
                try:
                    os.killpg(demo.pid, signum)
                except ProcessLookupError:
                    break
    finally:
        if not process_group_gone(demo):
            os.killpg(demo.pid, signal.SIGKILL)
        demo.wait()
    tail = output.read_text(errors="replace")[-1500:]
    assert not alive(pid), f"Asterisk (pid {pid}) still runs after make demo stopped:\n{tail}"
    assert sip_port_free(), f"port 5060 is still taken after make demo stopped:\n{tail}"
