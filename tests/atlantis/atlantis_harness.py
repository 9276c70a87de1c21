"""A real Gitea and a real Atlantis on loopback, driven through Gitea's API as people drive them.

Gitea 1.27.3 (sqlite, install lock, webhooks to loopback allowed) holds a repository with the
project; three users: the author of the pull requests, a reviewer (Gitea refuses self-approval),
and the Atlantis bot. Atlantis 0.36.0 runs with the Gitea flags, the server-side repo config that
`atlantis-config --server-side` prints (the one the docs tell people to use), and the orchestrator
of this checkout on its PATH; ORCHESTRATOR_PROVIDER=local makes the generated workflows run on the
built-in provider. Everything started here is stopped by ``close``, which the fixtures always call.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from helpers import copy_project

PASSWORD = "harness-Passw0rd"
USERS = ("author", "reviewer", "atlantis")
REPO_NAME = "infra"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(what: str, check, timeout: float, interval: float = 0.5, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")


class Api:
    """Gitea's REST API as one user (basic auth: the harness knows every password)."""

    def __init__(self, base: str, user: str):
        self.base, self.user = base.rstrip("/"), user
        self.auth = "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()

    def call(self, method: str, path: str, body: dict | None = None, ok=(200, 201, 204)):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}/api/v1{path}", data=data, method=method,
                                         headers={"Authorization": self.auth, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            text, status = error.read().decode(errors="replace"), error.code
        if status not in ok:
            raise AssertionError(f"{self.user}: {method} {path} -> {status}: {text[:2000]}")
        return json.loads(text) if text.strip() else None


@dataclass
class Process:
    name: str
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test process dies, even if it is killed before its finalizers run."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start(name: str, argv: list[str], env: dict, cwd: Path, log: Path) -> Process:
    handle = open(log, "ab")
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True,  # its own process group: stopped with everything it started
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    handle.close()
    return Process(name, proc, log)


@dataclass
class Harness:
    root: Path
    gitea_bin: Path
    gitea_source: Path  # the downloaded module: options/ (locales) and templates/, read at run time
    atlantis_bin: Path
    gitea_port: int = field(default_factory=free_port)
    processes: list[Process] = field(default_factory=list)

    # Gitea ---------------------------------------------------------------------------------------
    @property
    def gitea_url(self) -> str:
        return f"http://127.0.0.1:{self.gitea_port}"

    def api(self, user: str) -> Api:
        return Api(self.gitea_url, user)

    def _gitea(self, *args: str) -> str:
        done = subprocess.run([str(self.gitea_bin), "--work-path", str(self.root / "gitea"), "--config", str(self.gitea_ini), *args],
                              env=self._gitea_env(), capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise AssertionError(f"gitea {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def _gitea_env(self) -> dict:
        return {"PATH": os.environ["PATH"], "HOME": str(self.root / "home"), "GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT": "true",
                "USER": os.environ.get("USER", "root")}

    @property
    def gitea_ini(self) -> Path:
        return self.root / "gitea" / "app.ini"

    def start_gitea(self) -> None:
        work = self.root / "gitea"
        for folder in (work / "data", work / "log", work / "repos", work / "custom", self.root / "home"):
            folder.mkdir(parents=True, exist_ok=True)
        user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        self.gitea_ini.write_text(f"""\
APP_NAME = harness
RUN_MODE = prod
RUN_USER = {user}
WORK_PATH = {work}
I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = {self.gitea_port}
ROOT_URL = {self.gitea_url}/
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
APP_DATA_PATH = {work}/data
STATIC_ROOT_PATH = {self.gitea_source}

[database]
DB_TYPE = sqlite3
PATH = {work}/data/gitea.db

[repository]
ROOT = {work}/repos
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = {secrets.token_hex(24)}
INTERNAL_TOKEN = {secrets.token_hex(32)}
PASSWORD_HASH_ALGO = pbkdf2_hi
ALLOWED_HOST_LIST = loopback

[service]
DISABLE_REGISTRATION = true

[webhook]
DELIVER_TIMEOUT = 30

[oauth2]
ENABLED = false

[actions]
ENABLED = false

[packages]
ENABLED = false

[mailer]
ENABLED = false

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[indexer]
REPO_INDEXER_ENABLED = false

[log]
MODE = file
LEVEL = Info
ROOT_PATH = {work}/log
""")
        self._gitea("migrate")
        for name in USERS:
            self._gitea("admin", "user", "create", "--username", name, "--password", PASSWORD, "--email", f"{name}@example.com",
                        "--must-change-password=false", *(["--admin"] if name == "author" else []))
        self.processes.append(start("gitea", [str(self.gitea_bin), "--work-path", str(work), "--config", str(self.gitea_ini), "web"],
                                    self._gitea_env(), work, self.root / "gitea.log"))
        wait_until("Gitea's API", lambda: self._answers(f"{self.gitea_url}/api/v1/version") or self._exited(self.processes[-1]), 120,
                   log=self.root / "gitea.log")

    @staticmethod
    def _exited(process: Process) -> bool:
        if process.proc.poll() is not None:
            raise AssertionError(f"{process.name} exited ({process.proc.returncode}):\n{process.log.read_text(errors='replace')[-4000:]}")
        return False

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def token(self, user: str) -> str:
        return self.api(user).call("POST", f"/users/{user}/tokens", {"name": f"t{secrets.token_hex(4)}", "scopes": ["all"]})["sha1"]

    # The repository -------------------------------------------------------------------------------
    @property
    def clone(self) -> Path:
        return self.root / "author-clone"

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(["git", "-c", "user.name=Author", "-c", "user.email=author@example.com", *args],
                              cwd=cwd or self.clone, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def create_repository(self, project: Path) -> None:
        """The project's files on main, the reviewer and the bot as collaborators, the webhook to Atlantis."""
        author = self.api("author")
        author.call("POST", "/user/repos", {"name": REPO_NAME, "default_branch": "main", "private": False})
        for user in ("reviewer", "atlantis"):
            author.call("PUT", f"/repos/author/{REPO_NAME}/collaborators/{user}", {"permission": "write"})
        # The project's history with its working tree committed on top: staging and prod pin their modules
        # to a commit of it, which Atlantis's shallow checkout then fetches from this server.
        copy_project(self.clone, project)
        if not (self.clone / ".git").exists():
            self.git("init", "-q", "-b", "main")
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", "the project")
        self.git("remote", "add", "origin", f"http://author:{PASSWORD}@127.0.0.1:{self.gitea_port}/author/{REPO_NAME}.git")
        self.git("push", "-q", "origin", "main")

    def add_webhook(self, atlantis_url: str, secret: str) -> None:
        self.api("author").call("POST", f"/repos/author/{REPO_NAME}/hooks", {
            "type": "gitea", "active": True, "events": ["pull_request"],  # every pull request event, comments included
            "config": {"url": f"{atlantis_url}/events", "content_type": "json", "secret": secret},
        })

    # Atlantis ------------------------------------------------------------------------------------
    @property
    def work_dir(self) -> Path:
        return self.root / "orchestrator-work"

    def start_atlantis(self, checkout_strategy: str, server_config: str, python_bin: Path, cache: Path) -> str:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        secret = secrets.token_hex(16)
        data = self.root / f"atlantis-{checkout_strategy}"
        data.mkdir()
        (data / "repos.yaml").write_text(server_config)
        environ = {
            "PATH": f"{python_bin}:{os.environ['PATH']}",  # the orchestrator of this checkout, and its terraform
            "HOME": str(self.root / "home"),
            "XDG_CACHE_HOME": str(cache),  # the machine's tool cache (checkov is installed there once)
            "ORCHESTRATOR_PROVIDER": "local",  # the generated workflows, offline, on the built-in provider
            "ORCHESTRATOR_WORK_DIR": str(self.work_dir),  # one for every server: state outlives a restart
            "LANG": "C.UTF-8",
        }
        argv = [str(self.atlantis_bin), "server", f"--port={port}", f"--atlantis-url={url}", f"--data-dir={data}",
                f"--gitea-base-url={self.gitea_url}", "--gitea-user=atlantis", f"--gitea-token={self.token('atlantis')}",
                f"--gitea-webhook-secret={secret}", f"--repo-allowlist=127.0.0.1/author/{REPO_NAME}",
                f"--repo-config={data / 'repos.yaml'}", f"--checkout-strategy={checkout_strategy}",
                "--allow-commands=version,plan,apply,unlock,approve_policies,import,state", "--enable-policy-checks",
                "--tf-download=false", "--emoji-reaction=", "--log-level=info"]
        process = start("atlantis", argv, environ, data, self.root / f"atlantis-{checkout_strategy}.log")
        self.processes.append(process)
        wait_until("Atlantis", lambda: self._answers(f"{url}/healthz") or self._exited(process), 120, log=process.log)
        self.add_webhook(url, secret)
        return url

    def stop_atlantis(self) -> None:
        for process in [p for p in self.processes if p.name == "atlantis"]:
            process.stop()
            self.processes.remove(process)
        for hook in self.api("author").call("GET", f"/repos/author/{REPO_NAME}/hooks"):
            self.api("author").call("DELETE", f"/repos/author/{REPO_NAME}/hooks/{hook['id']}")

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    # Pull requests, as people make them -----------------------------------------------------------
    def open_pull_request(self, branch: str, title: str, change) -> int:
        """A branch from main with ``change(clone)`` committed, pushed, and a pull request for it."""
        self.git("checkout", "-q", "-B", branch, "origin/main" if self._has_origin_main() else "main")
        change(self.clone)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", title)
        self.git("push", "-q", "-f", "origin", branch)
        # Gitea records a pushed branch in the background: the pull request can be refused (404) for a moment.
        pull = wait_until(f"Gitea to know branch {branch}", lambda: self._try_pull_request(branch, title), 60, interval=1)
        return pull["number"]

    def _try_pull_request(self, branch: str, title: str) -> dict | None:
        try:
            return self.api("author").call("POST", f"/repos/author/{REPO_NAME}/pulls", {"base": "main", "head": branch, "title": title})
        except AssertionError as error:
            if "-> 404" in str(error):
                return None
            raise

    def _has_origin_main(self) -> bool:
        self.git("fetch", "-q", "origin")
        return bool(self.git("branch", "-r", "--list", "origin/main").strip())

    def push_commit(self, branch: str, message: str, change) -> None:
        self.git("checkout", "-q", branch)
        change(self.clone)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        self.git("push", "-q", "origin", branch)

    def comment(self, number: int, body: str, user: str = "author") -> int:
        return self.api(user).call("POST", f"/repos/author/{REPO_NAME}/issues/{number}/comments", {"body": body})["id"]

    def approve(self, number: int) -> None:
        self.api("reviewer").call("POST", f"/repos/author/{REPO_NAME}/pulls/{number}/reviews", {"event": "APPROVED", "body": "lgtm"})

    def merge(self, number: int) -> None:
        self.api("author").call("POST", f"/repos/author/{REPO_NAME}/pulls/{number}/merge", {"Do": "merge"})

    def bot_comments(self, number: int, after: int = 0) -> list[str]:
        comments = self.api("author").call("GET", f"/repos/author/{REPO_NAME}/issues/{number}/comments?limit=100")
        return [c["body"] for c in comments if c["user"]["login"] == "atlantis" and c["id"] > after]

    def last_comment_id(self, number: int) -> int:
        comments = self.api("author").call("GET", f"/repos/author/{REPO_NAME}/issues/{number}/comments?limit=100")
        return max([c["id"] for c in comments], default=0)

    def answer(self, number: int, after: int, starts: str, timeout: float = 900) -> str:
        """The bot's replies after comment ``after`` (all parts joined), once one has ``starts`` near its top."""
        def found():
            bodies = self.bot_comments(number, after)
            if any(starts in b[:400] for b in bodies):
                answers = self.root / "answers"  # kept for whoever reads a failure
                answers.mkdir(exist_ok=True)
                (answers / f"pr{number}-after{after}.md").write_text("\n".join(bodies))
                return "\n".join(bodies)
            errors = [b for b in bodies if "Error" in b[:120]]
            if errors:
                raise AssertionError(f"Atlantis answered with an error instead of {starts!r}:\n{errors[0][:4000]}")
            return None
        return wait_until(f"Atlantis's answer starting {starts!r} on pull request {number}", found, timeout, interval=2,
                          log=next((p.log for p in self.processes if p.name == "atlantis"), None))

    BUSY = "is currently locked by another command that is running for this pull request"

    def ask(self, number: int, command: str, starts: str, user: str = "author", timeout: float = 900) -> str:
        """Comment ``command`` and wait for Atlantis's answer. Atlantis posts a command's comment before
        it releases the pull's working-directory locks: a command right after it may find them held
        ("Wait until the previous command is complete and try again"), so it is asked again, as people do."""
        for _ in range(5):
            after = self.comment(number, command, user)
            try:
                answer = self.answer(number, after, starts, timeout)
            except AssertionError as error:
                if self.BUSY not in str(error):
                    raise
            else:
                if self.BUSY not in answer:
                    return answer
            time.sleep(5)
        raise AssertionError(f"{command!r}: the pull request's working directories stayed locked")


def python_bin() -> Path:
    return Path(sys.executable).parent
