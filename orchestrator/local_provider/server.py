"""The gRPC side: plugin protocol v6 messages in, provider.py calls, messages out.

Importing this module is cheap: the message classes are built on the first call (protocol.py).
"""

from __future__ import annotations

import functools
import json
import os
import threading
import traceback
from typing import Any

from typing import TYPE_CHECKING

from orchestrator.local_provider.protocol import generic_handler, pb

if TYPE_CHECKING:
    from orchestrator.local_provider.catalog import Block, TypeSpec


def _cty():
    # imported on first use: msgpack and the catalog's dataclasses are not needed for the handshake
    from orchestrator.local_provider import cty

    return cty


def schema_block(block: Block):
    nesting = {"list": pb.Schema.NestedBlock.LIST, "set": pb.Schema.NestedBlock.SET,
               "single": pb.Schema.NestedBlock.SINGLE}
    return pb.Schema.Block(
        attributes=[
            pb.Schema.Attribute(
                name=a.name, type=json.dumps(_cty().type_json(a.type)).encode(), required=a.required,
                optional=a.optional, computed=a.computed, sensitive=a.sensitive, deprecated=a.deprecated,
                write_only=a.write_only,
            )
            for a in block.attributes.values()
        ],
        block_types=[
            pb.Schema.NestedBlock(type_name=nb.name, block=schema_block(nb.block), nesting=nesting[nb.nesting],
                                  min_items=nb.min_items, max_items=nb.max_items)
            for nb in block.blocks.values()
        ],
        deprecated=block.deprecated,
    )


def schema(spec: TypeSpec):
    return pb.Schema(version=spec.version, block=schema_block(spec.block))


def _diagnostics(diags) -> list:
    out = []
    for d in diags:
        steps = [pb.AttributePath.Step(element_key_int=s) if isinstance(s, int)
                 else pb.AttributePath.Step(attribute_name=s) for s in d.path]
        out.append(pb.Diagnostic(
            severity=pb.Diagnostic.ERROR if d.severity == "error" else pb.Diagnostic.WARNING,
            summary=d.summary, detail=d.detail, attribute=pb.AttributePath(steps=steps) if steps else None,
        ))
    return out


def _crash(error: BaseException) -> list:
    return [pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=f"local AWS provider error: {error}",
                          detail=traceback.format_exc())]


def _value(dv) -> Any:
    if dv.msgpack:
        return _cty().decode(dv.msgpack)
    if dv.json:
        return json.loads(dv.json)
    return None


def _dv(value: Any):
    return pb.DynamicValue(msgpack=_cty().encode(value))


def guarded(response_type: str):
    """Turn an exception into an error diagnostic instead of a broken gRPC call."""

    def wrap(method):
        @functools.wraps(method)
        def inner(self, request, context):
            try:
                return method(self, request, context)
            except Exception as error:  # noqa: BLE001 - reported to Terraform as a diagnostic
                return getattr(pb, response_type).Response(diagnostics=_crash(error))

        return inner

    return wrap


class ProviderServicer:
    def __init__(self, stopped: threading.Event):
        self.stopped = stopped
        self._provider = None
        self._lock = threading.Lock()
        self._schema_response = None
        self._leased = False  # serving the run's pool (pool.py): one Terraform command per lease
        self._configuration = None  # what ConfigureProvider was given during the current lease

    def lease(self, cwd: str, environ: dict[str, str]) -> None:
        """Start serving a new Terraform command: its working directory and environment, nothing
        kept from the last one but the catalog (what a fresh process would have, without the start)."""
        from orchestrator.local_provider.provider import LocalAWS

        with self._lock:
            catalog = self._provider.catalog if self._provider is not None else None
            os.chdir(cwd)  # the default store and unserved() read the working directory, as in a fresh process
            self._provider = LocalAWS(catalog=catalog, environ=environ)
            self._leased, self._configuration = True, None

    def warm(self) -> None:
        """Read the catalog and build the schema response before the first command needs them."""
        self._schema()

    @property
    def provider(self):
        # Built on the first call, after the handshake: the catalog takes a few tens of ms to read.
        with self._lock:
            if self._provider is None:
                from orchestrator.local_provider.provider import LocalAWS

                self._provider = LocalAWS()
            return self._provider

    def _schema(self):
        if self._schema_response is None:  # a benign race: two threads may both build it
            catalog = self.provider.catalog
            self._schema_response = pb.GetProviderSchema.Response(
                provider=schema(catalog.provider),
                provider_meta=schema(catalog.provider_meta),
                resource_schemas={n: schema(s) for n, s in catalog.resources.items()},
                data_source_schemas={n: schema(s) for n, s in catalog.data_sources.items()},
                server_capabilities=pb.ServerCapabilities(plan_destroy=False, get_provider_schema_optional=True),
            )
        return self._schema_response

    def GetMetadata(self, request, context):
        catalog = self.provider.catalog
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in catalog.resources],
            data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=n) for n in catalog.data_sources],
        )

    @guarded("GetProviderSchema")
    def GetProviderSchema(self, request, context):
        return self._schema()

    @guarded("ValidateProviderConfig")
    def ValidateProviderConfig(self, request, context):
        config = _value(request.config) or {}
        diags = self.provider.validate_provider(config) + self.provider.unserved()
        return pb.ValidateProviderConfig.Response(diagnostics=_diagnostics(diags))

    @guarded("ValidateResourceConfig")
    def ValidateResourceConfig(self, request, context):
        diags = self.provider.validate(request.type_name, _value(request.config) or {})
        return pb.ValidateResourceConfig.Response(diagnostics=_diagnostics(diags))

    @guarded("ValidateDataResourceConfig")
    def ValidateDataResourceConfig(self, request, context):
        diags = self.provider.validate(request.type_name, _value(request.config) or {}, data=True)
        return pb.ValidateDataResourceConfig.Response(diagnostics=_diagnostics(diags))

    @guarded("ConfigureProvider")
    def ConfigureProvider(self, request, context):
        config = _value(request.config) or {}
        if self._leased:
            # One process serves every provider configuration of the command: two different ones
            # (aliases) would share one region and one set of default tags. Refuse rather than mix.
            with self._lock:
                known = self._configuration
                if known is None:
                    self._configuration = config
            if known is not None and known != config:
                return pb.ConfigureProvider.Response(diagnostics=[pb.Diagnostic(
                    severity=pb.Diagnostic.ERROR, summary="The shared local AWS provider serves one provider configuration",
                    detail="This configuration has several aws provider configurations (aliases). Run it with "
                           "ORCHESTRATOR_PROVIDER_POOL=0 so that Terraform starts one provider process per configuration.")])
        diags = self.provider.configure(config)
        return pb.ConfigureProvider.Response(diagnostics=_diagnostics(diags))

    @guarded("UpgradeResourceState")
    def UpgradeResourceState(self, request, context):
        if request.raw_state.flatmap and not request.raw_state.json:
            return pb.UpgradeResourceState.Response(diagnostics=_diagnostics([_flatmap_refused(request.type_name)]))
        state, diags = self.provider.upgrade(request.type_name, request.version, request.raw_state.json)
        return pb.UpgradeResourceState.Response(upgraded_state=_dv(state), diagnostics=_diagnostics(diags))

    @guarded("ReadResource")
    def ReadResource(self, request, context):
        state, diags = self.provider.read(request.type_name, _value(request.current_state))
        return pb.ReadResource.Response(new_state=_dv(state), diagnostics=_diagnostics(diags), private=request.private)

    @guarded("PlanResourceChange")
    def PlanResourceChange(self, request, context):
        planned, replace, diags = self.provider.plan(
            request.type_name, _value(request.prior_state), _value(request.proposed_new_state), _value(request.config)
        )
        return pb.PlanResourceChange.Response(
            planned_state=_dv(planned),
            requires_replace=[pb.AttributePath(steps=[pb.AttributePath.Step(attribute_name=n)]) for n in replace],
            planned_private=request.prior_private,
            diagnostics=_diagnostics(diags),
            legacy_type_system=self.provider.legacy_type_system(request.type_name),
        )

    @guarded("ApplyResourceChange")
    def ApplyResourceChange(self, request, context):
        state, diags = self.provider.apply(
            request.type_name, _value(request.prior_state), _value(request.planned_state), _value(request.config)
        )
        return pb.ApplyResourceChange.Response(new_state=_dv(state), diagnostics=_diagnostics(diags),
                                               legacy_type_system=self.provider.legacy_type_system(request.type_name))

    @guarded("ImportResourceState")
    def ImportResourceState(self, request, context):
        state, diags = self.provider.import_state(request.type_name, request.id)
        imported = [pb.ImportResourceState.ImportedResource(type_name=request.type_name, state=_dv(state))] if state else []
        return pb.ImportResourceState.Response(imported_resources=imported, diagnostics=_diagnostics(diags))

    @guarded("ReadDataSource")
    def ReadDataSource(self, request, context):
        state, diags = self.provider.read_data(request.type_name, _value(request.config) or {})
        return pb.ReadDataSource.Response(state=_dv(state), diagnostics=_diagnostics(diags))

    def GetFunctions(self, request, context):
        return pb.GetFunctions.Response()

    def CallFunction(self, request, context):
        return pb.CallFunction.Response(diagnostics=[pb.Diagnostic(
            severity=pb.Diagnostic.ERROR, summary=f"The local AWS provider has no function {request.name!r}")])

    def StopProvider(self, request, context):
        # Terraform asks in-flight calls to stop (on interrupt); calls here are short, nothing to do.
        return pb.StopProvider.Response()


def _flatmap_refused(type_name: str):
    from orchestrator.local_provider.provider import Diagnostic

    return Diagnostic("Cannot upgrade flatmap state", f"{type_name}: state from Terraform 0.11 or older is not supported.")


def add_to_server(server, stopped: threading.Event) -> ProviderServicer:
    servicer = ProviderServicer(stopped)
    server.add_generic_rpc_handlers([generic_handler(servicer)])
    return servicer
