"""The local cloud for ``--provider moto``: moto's AWS API server on loopback, living across commands.

The real AWS provider needs an AWS API to apply against. A moto server (``moto.server``) serves it
on 127.0.0.1 at a free port. It is started by the first command that needs it and keeps running,
so that an ``apply`` and a later ``plan`` see the same objects; ``local-cloud down`` stops it.
Its pid, port and log are recorded under ``.orchestrator/local-cloud/``. moto keeps everything in
memory: after ``down`` (or a reboot) the next rehearsal finds the objects gone and Terraform plans
to create them again, as it would after an out-of-band deletion.

    python -m orchestrator local-cloud up|down|status
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from orchestrator.config.errors import OrchestratorError
from orchestrator.config.project import Project

RECORD = "moto.json"
START_TIMEOUT_SECONDS = 60
# Credentials moto accepts; nothing is ever sent to AWS (every endpoint points at the server).
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class LocalCloudError(OrchestratorError):
    """The local cloud could not be started or reached (exit 1, as any failure)."""


@dataclass(frozen=True)
class Server:
    pid: int
    port: int
    started: str
    log: str

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """What a process needs to talk to this server only: fake credentials and every endpoint here.

        The server is also the HTTP proxy, for the one kind of request that cannot reach it directly:
        S3 Control puts the account in front of the endpoint's host (``ACCOUNT.127.0.0.1:PORT``, which
        no resolver answers; the real provider lists an S3 bucket's tags that way). Go sends every
        other request, to the loopback address itself, directly (it never proxies loopback), and moto
        answers a proxied request by its path like any other (S3 Control's ``/v20180820/...``).
        """
        return {**self.state_environment(), "AWS_ENDPOINT_URL": self.endpoint}

    def state_environment(self) -> dict[str, str]:
        """What Terraform's S3 backend needs to keep state here: fake credentials, S3 and STS at this server.

        The backend block stays the one a real account gets (DESIGN: Targets); only the process
        environment says where S3 is (``AWS_ENDPOINT_URL_S3``/``_STS``, which the backend honours).
        The backend addresses the bucket virtual-host style (``BUCKET.127.0.0.1:PORT``, no
        ``use_path_style`` in the block), which no resolver answers: that request goes through the
        server as HTTP proxy too, and moto takes the bucket from the host.
        """
        return {**CREDENTIALS, "AWS_ENDPOINT_URL_S3": self.endpoint, "AWS_ENDPOINT_URL_STS": self.endpoint,
                "AWS_EC2_METADATA_DISABLED": "true", "HTTP_PROXY": self.endpoint, "NO_PROXY": "127.0.0.1,localhost"}

    def session(self, region: str, role_arn: str | None = None, name: str = "orchestrator"):
        """A boto3 session on this server, in the account of ``role_arn`` when given (as the rehearsal's provider)."""
        return session(region, self.endpoint, role_arn, name=name)


def session(region: str, endpoint: str, role_arn: str | None = None, credentials: dict[str, str] = CREDENTIALS,
            name: str = "orchestrator"):
    """A boto3 session on the moto server at ``endpoint``; clients still need ``endpoint_url=endpoint``.
    With ``role_arn``, the role is assumed first, so that calls act in its account."""
    import boto3

    keys = {"aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"]}
    if role_arn:
        sts = boto3.client("sts", region_name=region, endpoint_url=endpoint, **keys)
        assumed = sts.assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
        keys = {"aws_access_key_id": assumed["AccessKeyId"], "aws_secret_access_key": assumed["SecretAccessKey"],
                "aws_session_token": assumed["SessionToken"]}
    return boto3.session.Session(region_name=region, **keys)


SHARED_VARIABLE = "ORCHESTRATOR_LOCAL_CLOUD"


def directory(project: Project) -> Path:
    """Where the server's record lives: the project's runs, or ``$ORCHESTRATOR_LOCAL_CLOUD`` when several
    clones (two machines, two CI jobs) must see one cloud, as two people see one AWS account."""
    return Path(os.environ.get(SHARED_VARIABLE) or project.runs_dir / "local-cloud")


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def status(project: Project) -> Server | None:
    """The running server, or None (a record of a dead one is removed)."""
    path = directory(project) / RECORD
    try:
        server = Server(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if _alive(server.pid) and _answers(server.port):
        return server
    path.unlink(missing_ok=True)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def up(project: Project) -> Server:
    """The running server, started if none is (idempotent)."""
    running = status(project)
    if running is not None:
        return running
    try:
        import moto.server  # noqa: F401 - only to fail early with a clear message
    except ImportError:
        raise LocalCloudError("--provider moto needs moto's server: pip install 'moto[server]'") from None
    folder = directory(project)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    port = _free_port()
    log = folder / "moto.log"
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestrator.local_cloud.moto_server", "serve", str(port)],
            stdin=subprocess.DEVNULL, stdout=output, stderr=output, start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise LocalCloudError(f"the moto server did not start on 127.0.0.1:{port}; see {log}")
        time.sleep(0.2)
    server = Server(process.pid, port, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), str(log))
    temporary = folder / f".{RECORD}.tmp"
    temporary.write_text(json.dumps(asdict(server)))
    temporary.replace(folder / RECORD)
    return server


def down(project: Project) -> Server | None:
    """Stop the server (its objects are gone with it); the stopped server, or None if none ran."""
    server = status(project)
    if server is None:
        return None
    os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(server.pid):
        os.kill(server.pid, signal.SIGKILL)
    (directory(project) / RECORD).unlink(missing_ok=True)
    return server


def serve(port: int) -> None:
    """The server process: moto on 127.0.0.1:PORT until SIGTERM (moto_cbor, moto_tags, moto_certificates, moto_bucket_tags,
    moto_secure_transport, moto_sqs_attributes bridge moto's gaps)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from orchestrator.local_cloud import (moto_bucket_tags, moto_cbor, moto_certificates, moto_secure_transport,
                                          moto_sqs_attributes, moto_tags)

    moto_tags.install()
    moto_certificates.install()
    moto_bucket_tags.install()
    moto_secure_transport.install()
    moto_sqs_attributes.install()
    app = moto_cbor.middleware(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C meant for a command must not stop the cloud
    server.serve_forever()


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(int(sys.argv[2]))
