"""Connecting to Temporal: envconfig first, the embedded dev server otherwise."""

from __future__ import annotations

import asyncio

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfigProfile
from temporalio.service import RPCError, RPCStatusCode

from starter import server
from starter.tracing import configure_tracing
from workflows.wire import SEARCH_ATTRIBUTES


class TemporalUnavailable(RuntimeError):
    """Temporal cannot be reached; the message says where it looked."""


def configured_profile(name: str | None = None) -> ClientConfigProfile:
    """The envconfig profile `name` (default: `$TEMPORAL_PROFILE`, else `default`)
    from the config file, overridden by `TEMPORAL_*` variables."""
    return ClientConfigProfile.load(name)


async def connect(*, start_embedded: bool = True, profile: str | None = None) -> Client:
    """A client for the configured cluster, or for the embedded dev server.

    With no address in the environment or the envconfig file, attune talks to
    127.0.0.1:$ATTUNE_SERVER_PORT and starts the dev server there if nothing answers.
    """
    configure_tracing()
    profile_config = configured_profile(profile)
    config = dict(profile_config.to_client_connect_config())
    if not profile_config.address:
        state = server.status()
        if not state.answering:
            if not start_embedded:
                raise TemporalUnavailable(f"no Temporal server answers on {state.address}")
            state = await asyncio.to_thread(server.start)
        config["target_host"] = state.address
    try:
        client = await Client.connect(
            **config,
            data_converter=pydantic_data_converter,
            interceptors=[TracingInterceptor(always_create_workflow_spans=True)],
        )
    except RuntimeError as err:
        raise TemporalUnavailable(
            f"cannot connect to Temporal at {config['target_host']}: {err}"
        ) from err
    await ensure_search_attributes(client)
    return client


async def ensure_search_attributes(client: Client) -> None:
    """Register attune's search attributes where they are missing (needs operator rights).

    A server that cannot list them (the time-skipping test server) is asked to add all,
    one per call, since some servers register only the first of a batch.
    """
    wanted = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
        for key in SEARCH_ATTRIBUTES
    }
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        missing = {k: v for k, v in wanted.items() if k not in listed.custom_attributes}
    except RPCError as err:
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        missing = wanted
    for name, kind in missing.items():
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=client.namespace, search_attributes={name: kind}
                )
            )
        except RPCError as err:
            if err.status == RPCStatusCode.ALREADY_EXISTS:
                continue
            raise TemporalUnavailable(
                f"search attribute {name} is missing in namespace {client.namespace} "
                f"and could not be registered: {err.message}"
            ) from err
