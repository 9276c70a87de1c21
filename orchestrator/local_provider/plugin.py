"""The plugin process: go-plugin handshake, TLS, gRPC server, shutdown.

Terraform starts ``terraform-provider-aws`` with ``PLUGIN_CLIENT_CERT`` (its own certificate) and
expects one line on stdout before anything else::

    1|6|unix|<socket path>|grpc|<server certificate, DER, base64 without padding>

Start-up time is the handshake time, so imports are kept to what serving needs; the catalog is
read on the first schema request, after the handshake.

Started by the run's pool (``pool.py``, ``POOL_ENV`` set) instead of by Terraform, the process
serves one Terraform command after another, which reach it through ``TF_REATTACH_PROVIDERS``:
plain gRPC on its private socket, a lease per command read from stdin (a JSON line naming the
command's working directory and environment, answered with ``ready``), and an exit when stdin
closes, i.e. when the orchestrator that started it ends, however it ends.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
CORE_PROTOCOL_VERSION = 1
PROTOCOL_VERSION = 6
POOL_ENV = "ORCHESTRATOR_LOCAL_PROVIDER_POOL"  # set by pool.py for the processes it starts


def _controller_handlers(stopped: threading.Event):
    """go-plugin's own services: GRPCController/Shutdown and the health check."""
    import grpc

    def shutdown(request: bytes, context) -> bytes:
        stopped.set()
        return b""  # google.protobuf.Empty

    def health(request: bytes, context) -> bytes:
        return b"\x08\x01"  # HealthCheckResponse{status: SERVING}

    raw = {"request_deserializer": None, "response_serializer": None}
    return [
        grpc.method_handlers_generic_handler(
            "plugin.GRPCController", {"Shutdown": grpc.unary_unary_rpc_method_handler(shutdown, **raw)}),
        grpc.method_handlers_generic_handler(
            "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(health, **raw)}),
    ]


def _serve_leases(servicer, stopped: threading.Event) -> None:
    """The pool's side channel: one JSON line per lease in, ``ready`` (or the error) out; EOF: stop."""
    import json

    try:
        servicer.warm()
    except Exception:  # noqa: BLE001 - the first command then reports it as a diagnostic
        pass
    for line in sys.stdin:
        try:
            lease = json.loads(line)
            servicer.lease(lease["cwd"], lease["environ"])
            answer = "ready"
        except Exception as error:  # noqa: BLE001 - reported to the pool, which then starts another
            answer = f"error {error!r}"
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()
    stopped.set()


def main() -> None:
    parent = os.getppid()
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write("This binary is a plugin. These are not meant to be executed directly.\n"
                         "Please execute the program that consumes these plugins, which will\n"
                         "load any plugins automatically\n")
        sys.exit(1)
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", str(PROTOCOL_VERSION)).split(",")
    if str(PROTOCOL_VERSION) not in versions:
        sys.stderr.write(f"local AWS provider speaks protocol {PROTOCOL_VERSION}, Terraform offers {versions}\n")
        sys.exit(1)

    import base64
    import signal
    from concurrent import futures

    # Like go-plugin servers: an interrupt is Terraform's to handle; it stops us via Shutdown.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    import grpc

    from orchestrator.local_provider import server as provider_server
    from orchestrator.local_provider.tls import server_certificate

    key_pem, cert_pem, cert_der = server_certificate()
    # Requiring Terraform's client certificate (ECDSA P-521) made its Go client send none
    # (PEER_DID_NOT_RETURN_A_CERTIFICATE), so it is not required. The socket lives in a fresh 0700
    # directory, so only this user can reach it, and Terraform pins the server certificate.
    pooled = os.environ.get(POOL_ENV) == "1"
    credentials = None
    if os.environ.get("PLUGIN_CLIENT_CERT") and not pooled:
        credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)

    socket_dir = tempfile.mkdtemp(prefix="plugin")
    socket_path = os.path.join(socket_dir, "provider.sock")
    stopped = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8),
                         options=[("grpc.max_receive_message_length", 256 << 20),
                                  ("grpc.max_send_message_length", 256 << 20)])
    servicer = provider_server.add_to_server(server, stopped)
    server.add_generic_rpc_handlers(_controller_handlers(stopped))
    address = "unix:" + socket_path
    if credentials is None:
        server.add_insecure_port(address)
    else:
        server.add_secure_port(address, credentials)
    server.start()

    encoded = base64.b64encode(cert_der).decode().rstrip("=") if credentials else ""
    sys.stdout.write(f"{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|unix|{socket_path}|grpc|{encoded}\n")
    sys.stdout.flush()
    if pooled:
        threading.Thread(target=_serve_leases, args=(servicer, stopped), daemon=True).start()

    while not stopped.wait(0.5):
        if os.getppid() != parent:  # Terraform went away without saying goodbye (we were re-parented)
            break
    server.stop(grace=0.5)
    try:
        os.unlink(socket_path)
        os.rmdir(socket_dir)
    except OSError:
        pass
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
