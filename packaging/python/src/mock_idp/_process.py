"""Starting ``mock-idp serve`` as a child process and knowing when it is ready.

The tenant runs on 127.0.0.1 on a free port (``--port 0``) with a temporary state directory and a
random admin secret (passed through ``MOCK_IDP_ADMIN_SECRET``, never on the command line). It is
ready when ``--log-format json`` prints its ``listening`` line (the port is bound by then); the
JSON access log that follows is read by a thread so the pipe never fills, and its last lines are
kept for error messages.
"""

from __future__ import annotations

import collections
import json
import os
import secrets
import shutil
import subprocess
import sysconfig
import tempfile
import threading
from typing import Any, Deque, Dict, List, Optional, Sequence

from ._client import Tenant

BINARY_NAME = "mock-idp.exe" if os.name == "nt" else "mock-idp"


class MockIdpError(Exception):
    """The tenant could not be started (binary missing, bad configuration, not ready in time)."""


def find_binary() -> str:
    """The ``mock-idp`` binary: ``$MOCK_IDP_BIN``, else the one this distribution installed next
    to the running Python's scripts, else the first on ``PATH``."""
    explicit = os.environ.get("MOCK_IDP_BIN")
    if explicit:
        return explicit
    candidates = [sysconfig.get_path("scripts")]
    for scheme in (f"{os.name}_user", "osx_framework_user"):
        if scheme in sysconfig.get_scheme_names():
            candidates.append(sysconfig.get_path("scripts", scheme))
    for folder in candidates:
        path = os.path.join(folder, BINARY_NAME)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which(BINARY_NAME)
    if found:
        return found
    raise MockIdpError(
        "mock-idp binary not found: install the mock-idp wheel, put mock-idp on PATH or set MOCK_IDP_BIN"
    )


class MockIdp(Tenant):
    """A ``mock-idp serve`` this process started; a :class:`Tenant` client for it.

    Use :func:`start` (or the ``mock_idp`` pytest fixture) rather than the constructor. ``stop()``
    (or leaving the ``with`` block) ends the process, deletes the state directory and restores
    ``SSL_CERT_FILE``/``REQUESTS_CA_BUNDLE`` if ``trust_ca`` set them.
    """

    def __init__(self, process: "subprocess.Popen[bytes]", banner: Dict[str, Any], secret: str,
                 state_dir: Optional["tempfile.TemporaryDirectory[str]"], config: Optional[str],
                 log: Deque[str], reader: threading.Thread) -> None:
        listen = str(banner["listen"])
        super().__init__(
            str(banner["issuer"]),
            secret,
            str(banner["ca"]),
            audience=str(banner["audience"]),
            connect_host=listen.rsplit(":", 1)[0].strip("[]"),
            config=config,
        )
        self.process = process
        self._state_dir = state_dir
        self._log = log
        self._reader = reader
        self._saved_env: Optional[Dict[str, Optional[str]]] = None

    def trust_ca(self) -> None:
        """Point ``SSL_CERT_FILE`` and ``REQUESTS_CA_BUNDLE`` at the tenant's CA for this process
        until :meth:`stop` (urllib, httpx, requests and PyJWT's ``PyJWKClient`` then trust it).
        Note that they then trust only this CA."""
        if self._saved_env is None:
            self._saved_env = {k: os.environ.get(k) for k in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")}
        os.environ["SSL_CERT_FILE"] = self.ca_file or ""
        os.environ["REQUESTS_CA_BUNDLE"] = self.ca_file or ""

    def log_lines(self) -> List[str]:
        """The last lines the tenant printed (its JSON access log)."""
        return list(self._log)

    def stop(self) -> None:
        """Stop the tenant (SIGTERM, then SIGKILL after 5 s) and clean up."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)
        if self._saved_env is not None:
            for k, v in self._saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            self._saved_env = None
        if self._state_dir is not None:
            self._state_dir.cleanup()
            self._state_dir = None

    def __enter__(self) -> "MockIdp":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    *,
    config: Optional[str] = None,
    trust_ca: bool = False,
    auto_login: Optional[str] = None,
    fixture_keys: bool = False,
    state_dir: Optional[str] = None,
    binary: Optional[str] = None,
    extra_args: Sequence[str] = (),
    timeout: float = 30.0,
) -> MockIdp:
    """Start ``mock-idp serve`` on 127.0.0.1 on a free port and wait until it is ready.

    ``config``: a tenant TOML file. ``trust_ca``: set ``SSL_CERT_FILE``/``REQUESTS_CA_BUNDLE``
    for this process (see :meth:`MockIdp.trust_ca`). ``auto_login``: log this user in at
    ``/authorize`` without the form. ``fixture_keys``: the repository's fixed RSA key instead of
    a fresh one (faster; never for anything but tests). ``state_dir``: keep keys and CA there
    (default: a temporary directory deleted at stop). ``extra_args`` go to ``serve``.
    """
    exe = binary or find_binary()
    temp = None if state_dir else tempfile.TemporaryDirectory(prefix="mock-idp-")
    where = state_dir or (temp.name if temp else "")
    secret = secrets.token_urlsafe(32)
    args = [exe, "--state-dir", where]
    if fixture_keys:
        args.append("--fixture-keys")
    args += ["serve", "--port", "0", "--bind", "127.0.0.1", "--log-format", "json"]
    if config:
        args += ["--config", os.fspath(config)]
    if auto_login:
        args += ["--auto-login", auto_login]
    args += list(extra_args)
    env = dict(os.environ, MOCK_IDP_ADMIN_SECRET=secret)
    try:
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, env=env)
    except OSError as e:
        if temp:
            temp.cleanup()
        raise MockIdpError(f"cannot run {exe}: {e}") from e
    log: Deque[str] = collections.deque(maxlen=200)
    ready = threading.Event()
    banner: Dict[str, Any] = {}

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            log.append(line)
            if not ready.is_set() and line.startswith("{"):
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "listening":
                    banner.update(event)
                    ready.set()
        ready.set()  # the process ended: wake the waiter

    reader = threading.Thread(target=read, name="mock-idp-log", daemon=True)
    reader.start()
    if not ready.wait(timeout) or not banner:
        if process.poll() is None:
            process.kill()
        process.wait()
        reader.join(5)
        if temp:
            temp.cleanup()
        output = "\n".join(log) or "(no output)"
        raise MockIdpError(f"mock-idp serve did not start (exit status {process.returncode}):\n{output}")
    tenant = MockIdp(process, banner, secret, temp, os.fspath(config) if config else None, log, reader)
    if trust_ca:
        tenant.trust_ca()
    return tenant
