"""Smithy RPC v2 CBOR in front of moto, for the services moto answers only in their query protocol.

The AWS SDK inside the real provider now calls CloudWatch in the Smithy RPC v2 CBOR protocol
(``POST /service/GraniteServiceVersion20100801/operation/PutMetricAlarm``, CBOR bodies); moto
5.2 serves CloudWatch only in the query protocol, so every alarm call answers 404. This WSGI
middleware translates such a request with botocore's own service model: the CBOR input becomes the
query request moto understands, moto's XML answer becomes the CBOR output the SDK expects (errors
as ``__type``/``message``). Nothing else passes through it. A gap of moto, bridged only in the
local cloud; the modules are not changed for it.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterable

_PATH = re.compile(r"^/service/([A-Za-z0-9_.]+)/operation/([A-Za-z0-9]+)$")
# Services whose SDK speaks RPC v2 CBOR but moto only query: the target prefix -> botocore's name.
TRANSLATED = {"GraniteServiceVersion20100801": "cloudwatch"}


@functools.lru_cache(maxsize=None)
def _model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def _query_body(service: str, operation: str, params: dict) -> bytes:
    from urllib.parse import urlencode

    from botocore.serialize import create_serializer

    model = _model(service).operation_model(operation)
    request = create_serializer("query").serialize_to_request(params, model)
    return urlencode(request["body"]).encode()


def _cbor_answer(service: str, operation: str, status: int, xml: bytes) -> bytes:
    import cbor2
    from botocore.parsers import create_parser

    model = _model(service).operation_model(operation)
    parser = create_parser("query")
    response = {"status_code": status, "headers": {}, "body": xml}
    if status >= 300:
        error = parser.parse(response, None).get("Error", {})
        return cbor2.dumps({"__type": error.get("Code", "InternalFailure"), "message": error.get("Message", "")})
    parsed = parser.parse(response, model.output_shape) if model.output_shape is not None else {}
    parsed.pop("ResponseMetadata", None)
    return cbor2.dumps(parsed, datetime_as_timestamp=True)


def middleware(app: Callable) -> Callable:
    """Wrap moto's WSGI application; RPC v2 CBOR calls of TRANSLATED services are translated."""

    def translated(environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = _PATH.match(environ.get("PATH_INFO", ""))
        service = TRANSLATED.get(match.group(1)) if match else None
        if service is None or environ.get("HTTP_SMITHY_PROTOCOL") != "rpc-v2-cbor":
            return app(environ, start_response)
        import cbor2

        operation = match.group(2)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        params = cbor2.loads(raw) if raw else {}
        body = _query_body(service, operation, params)
        inner = dict(environ, PATH_INFO="/", QUERY_STRING="", CONTENT_TYPE="application/x-www-form-urlencoded; charset=utf-8",
                     CONTENT_LENGTH=str(len(body)), **{"wsgi.input": io.BytesIO(body)})
        inner.pop("HTTP_SMITHY_PROTOCOL", None)
        captured: dict = {}

        def capture(status: str, headers: list, exc_info=None):
            captured["status"] = int(status.split()[0])
            return lambda data: None

        xml = b"".join(app(inner, capture))
        answer = _cbor_answer(service, operation, captured["status"], xml)
        start_response(f"{captured['status']} {'OK' if captured['status'] < 300 else 'Error'}",
                       [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
                        ("Content-Length", str(len(answer)))])
        return [answer]

    return translated
