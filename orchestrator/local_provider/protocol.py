"""Plugin protocol 6 messages, built on first use.

The message definitions are those of ``tfplugin-proto-all`` (protocol 6.5), rebuilt in a private
descriptor pool with the one field newer Terraform reads that 6.5 lacks:
``Schema.Attribute.write_only`` (field 11, protocol 6.8). Building lazily keeps protobuf out of the
plugin's start-up: the handshake happens before the first message is decoded.
"""

from __future__ import annotations

import functools
from typing import Any

SERVICE = "tfplugin6.Provider"
# Every RPC of the service is unary in protocol 6.5.
METHODS = (
    "GetMetadata", "GetProviderSchema", "ValidateProviderConfig", "ValidateResourceConfig",
    "ValidateDataResourceConfig", "UpgradeResourceState", "ConfigureProvider", "ReadResource",
    "PlanResourceChange", "ApplyResourceChange", "ImportResourceState", "ReadDataSource",
    "GetFunctions", "CallFunction", "StopProvider",
)
ADDED_FIELDS = {("Schema", "Attribute"): [("write_only", 11)]}


class _Messages:
    def __init__(self, classes: dict[str, Any]):
        self.__dict__.update(classes)


@functools.lru_cache(maxsize=1)
def messages() -> Any:
    """A namespace of message classes: ``messages().Schema.Attribute(...)``."""
    from google.protobuf import descriptor_pb2, descriptor_pool
    from google.protobuf.internal import builder
    from tfplugin_proto import tfplugin6_5_pb2 as base

    proto = descriptor_pb2.FileDescriptorProto.FromString(base.DESCRIPTOR.serialized_pb)
    proto.name = "orchestrator_local_provider_tfplugin6.proto"
    for (outer, inner), fields in ADDED_FIELDS.items():
        message = next(m for m in proto.message_type if m.name == outer)
        message = next(m for m in message.nested_type if m.name == inner)
        for name, number in fields:
            message.field.add(name=name, number=number, type=descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
                              label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
                              json_name="".join(p if i == 0 else p.title() for i, p in enumerate(name.split("_"))))
    pool = descriptor_pool.DescriptorPool()
    file_descriptor = pool.AddSerializedFile(proto.SerializeToString())
    namespace: dict[str, Any] = {}
    builder.BuildMessageAndEnumDescriptors(file_descriptor, namespace)
    builder.BuildTopDescriptorsAndMessages(file_descriptor, __name__ + "_generated", namespace)
    return _Messages({k: v for k, v in namespace.items() if not k.startswith("_")})


def method_types(method: str) -> tuple[Any, Any]:
    """(request class, response class) of an RPC."""
    outer = getattr(messages(), method)
    return outer.Request, outer.Response


class LazyMessages:
    """``pb.Schema`` etc. without building the messages at import time."""

    def __getattr__(self, name: str) -> Any:
        return getattr(messages(), name)


pb = LazyMessages()


def generic_handler(servicer: Any):
    """The gRPC handler of the Provider service, (de)serialising with the classes above."""
    import grpc

    def handler(method: str):
        def deserialize(data: bytes):
            return method_types(method)[0].FromString(data)

        return grpc.unary_unary_rpc_method_handler(
            getattr(servicer, method), request_deserializer=deserialize,
            response_serializer=lambda message: message.SerializeToString(),
        )

    return grpc.method_handlers_generic_handler(SERVICE, {m: handler(m) for m in METHODS})
