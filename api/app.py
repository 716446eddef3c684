"""The Starlette application: /graphql (HTTP + graphql-transport-ws), /healthz, /readyz."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from cross_web import HTTPException
from graphql import GraphQLError
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from api.auth import Authenticator
from api.context import Context
from api.loaders import RequestReads
from api.runtime import Runtime
from api.schema import build_schema
from api.trusted_documents import (
    DocumentRef,
    TrustedDocument,
    TrustedDocumentRefused,
    TrustedDocuments,
    check_text_matches,
    may_auto_register,
    no_longer_valid,
    not_found,
    not_supported,
    requested_ref,
)
from domain.access.documents import must_send_id, text_refused_message
from domain.access.model import Principal
from domain.shared.errors import DomainError, Unavailable
from domain.shared.logging import configure_logging
from domain.shared.outage import DB_UNAVAILABLE_MESSAGE, is_outage
from domain.shared.settings import Settings, get_settings

log = structlog.get_logger(__name__)
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Deeper than any real variables; past it encoders and coercion recurse (orjson stops at 255).
MAX_JSON_NESTING = 64


@dataclass
class RequestData(GraphQLRequestData):
    """strawberry's request data plus the trusted document id (GraphQL-over-HTTP draft)."""

    document_id: Any = None


class GraphQLApp(GraphQL):
    """strawberry's ASGI view with our context, orjson and trusted documents."""

    def __init__(
        self,
        *args: Any,
        holder: dict[str, Any],
        retry_after: int,
        settings: Settings,
        **kwargs: Any,
    ) -> None:
        # GET is open to queries here; text over GET is refused in production below, so GET
        # serves trusted documents (what a CDN caches) and never a mutation.
        super().__init__(*args, allow_queries_via_get=True, **kwargs)
        self._holder = holder
        self._retry_after = retry_after
        self._settings = settings
        self._trusted = TrustedDocuments(schema=self.schema._schema, settings=settings)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A GET naming a document by id is a query, not a browser asking for GraphiQL."""
        params = request.query_params
        if params.get("documentId") is not None or params.get("extensions") is not None:
            return False
        return super().should_render_graphql_ide(request)

    async def parse_http_body(self, request: Any) -> Any:
        """strawberry's parsing, keeping ``documentId`` (GET parameter or body member)."""
        content_type, _ = parse_content_type(request.content_type or "")
        if request.method == "GET":
            data = self.parse_query_params(request.query_params)
        elif "application/json" in content_type:
            data = self.parse_json(await request.get_body())
        else:
            return await super().parse_http_body(request)
        if isinstance(data, list):
            self._validate_batch_request(data, protocol="http")
            return [self._request_data(item) for item in data]
        return self._request_data(data)

    def _request_data(self, data: dict[str, Any]) -> RequestData:
        for key, kind in (("query", "a string"), ("operationName", "a string")):
            if not isinstance(data.get(key), str | None):
                raise HTTPException(400, f"The operation's `{key}` must be {kind} or null.")
        for key in ("variables", "extensions"):
            if not isinstance(data.get(key), dict | None):
                raise HTTPException(400, f"The operation's `{key}` must be an object or null.")
        return RequestData(
            query=data.get("query"),
            variables=data.get("variables"),
            operation_name=data.get("operationName"),
            extensions=data.get("extensions"),
            document_id=data.get("documentId"),
        )

    async def _use_trusted(
        self, method: str, request_data: GraphQLRequestData, context: Context
    ) -> GraphQLError | None:
        """Put the registered document in place of the text, or say why not (a GraphQL error
        to answer with); raise HTTP 400 for a malformed id or refused text."""
        settings = self._settings
        try:
            ref = requested_ref(
                document_id=getattr(request_data, "document_id", None),
                extensions=request_data.extensions,
            )
            if ref is not None and request_data.query is not None:
                check_text_matches(ref, request_data.query)
        except TrustedDocumentRefused as exc:
            raise HTTPException(400, str(exc)) from exc
        if ref is not None:
            if settings.trusted_documents == "off":
                return not_supported()
            found = await self._find(ref, request_data.query, context)
            if isinstance(found, GraphQLError):
                return found
            if found is not None:
                request_data.query = found.body
                context.trusted_document = found
                return None
        # The request runs text.
        if must_send_id(settings.trusted_documents, context.principal):
            raise HTTPException(400, text_refused_message(settings.trusted_documents))
        if method == "GET" and not settings.dev_mode:
            raise HTTPException(
                400,
                "GET runs only registered documents (send `documentId`); POST the text of "
                "other queries.",
            )
        return None

    async def _find(
        self, ref: DocumentRef, query: str | None, context: Context
    ) -> TrustedDocument | GraphQLError | None:
        """The registered document ``ref`` names; None to run the text sent with it."""
        async with context.reads.session() as session:
            document, stale = await self._trusted.find(ref.sha256, session=session)
        if document is not None:
            return document
        if stale is not None:
            return no_longer_valid(ref, stale)
        if query is None:
            return not_found(ref)
        if may_auto_register(self._settings):
            return await self._trusted.auto_register(ref.sha256, query, uow=context.uow())
        return None

    def create_response(
        self, response_data: Any, sub_response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        """An outage is HTTP 503 with Retry-After, so tills, proxies and HTTP clients retry
        (with the same idempotency key) instead of showing "Unexpected error"."""
        if _unavailable(response_data):
            sub_response.status_code = 503
            sub_response.headers["retry-after"] = str(self._retry_after)
        return super().create_response(response_data, sub_response, *args, **kwargs)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.scope.get("state", {})
        return Context(
            runtime=self._holder["runtime"],
            shared_reads=state.get("reads"),
            principal=state.get("principal") or Principal(),
            request_id=state.get("request_id") or uuid.uuid4().hex,
            idempotency_key_header=request.headers.get("idempotency-key"),
            request=request,
            response=response,
            sticky_reads=not isinstance(request, WebSocket),
        )

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        """Run the operation, then give the request's read connection back to the pool."""
        context: Context = kwargs["context"]
        try:
            request_data = kwargs["request_data"]
            if not isinstance(request_data, list):
                method = kwargs["request_adapter"].method
                refused = await self._use_trusted(method, request_data, context)
                if refused is not None:
                    return ExecutionResult(data=None, errors=[refused])
            return await super().execute_operation(*args, **kwargs)
        finally:
            await context.reads.release()

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        headers = {}
        if isinstance(params.get("apiKey"), str):
            headers["x-api-key"] = params["apiKey"]
        if isinstance(params.get("authorization"), str):
            headers["authorization"] = params["authorization"]
        if headers:
            try:
                context.principal = await self._holder["auth"].principal(headers)
            except DomainError as exc:
                raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from exc
        return await super().on_ws_connect(context)

    def parse_json(self, data: str | bytes) -> Any:
        """The request body: a JSON object (or a list, refused later unless batching), as
        UTF-8, nested at most MAX_JSON_NESTING deep; anything else is a 400 with a message."""
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise HTTPException(
                400,
                f"The request body is not valid JSON ({exc}). Send a UTF-8 JSON object: "
                '{"query": "...", "variables": {...}}.',
            ) from exc
        if not isinstance(value, dict | list):
            raise HTTPException(
                400,
                f"The request body is a JSON {_JSON_KINDS.get(type(value), 'value')}, not an "
                "object. Send "
                '{"query": "...", "variables": {...}}.',
            )
        if _nesting(value, MAX_JSON_NESTING) > MAX_JSON_NESTING:
            raise HTTPException(
                400,
                f"The request body nests arrays or objects more than {MAX_JSON_NESTING} deep; "
                "flatten the variables.",
            )
        if isinstance(value, list) and not all(isinstance(item, dict) for item in value):
            raise HTTPException(400, "Each operation of a batch must be a JSON object.")
        return value

    def decode_json(self, data: str | bytes) -> object:
        """A websocket message: a JSON object nested at most MAX_JSON_NESTING deep, else the
        socket is closed with 4400 (strawberry closes on JSONDecodeError)."""
        value = orjson.loads(data)
        if not isinstance(value, dict) or _nesting(value, MAX_JSON_NESTING) > MAX_JSON_NESTING:
            raise json.JSONDecodeError("expected a JSON object, not too deeply nested", "", 0)
        return value

    def encode_json(self, data: object) -> str:
        # str, not bytes: websocket frames must be text for graphql-transport-ws clients.
        return orjson.dumps(data).decode()


_JSON_KINDS = {str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}


def _nesting(value: Any, limit: int) -> int:
    """How deeply lists and dicts nest in ``value`` (stops counting past ``limit``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > limit:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _unavailable(response_data: Any) -> bool:
    results = response_data if isinstance(response_data, list) else [response_data]
    return any(
        (error.get("extensions") or {}).get("code") == Unavailable.code
        for result in results
        if isinstance(result, dict)
        for error in result.get("errors") or ()
    )


class RequestMiddleware:
    """Request id, body size limit and authentication, before any GraphQL work."""

    def __init__(
        self, app: ASGIApp, *, holder: dict[str, Any], max_body: int, retry_after: int
    ) -> None:
        self.app = app
        self.holder = holder
        self.max_body = max_body
        self.retry_after = retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            if scope["type"] == "http":
                declared = headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > self.max_body:
                    await _error(
                        send,
                        413,
                        "PAYLOAD_TOO_LARGE",
                        f"Request body over {self.max_body} bytes.",
                        request_id,
                    )
                    return
                receive = _limited(receive, self.max_body)
            else:
                receive, send = _limited_messages(receive, send, self.max_body)
            if scope["path"].startswith("/graphql"):
                # One pool connection serves the request's reads, authentication included.
                rt: Runtime = self.holder["runtime"]
                reads = state["reads"] = RequestReads(
                    rt.engine, rt.session_factory, sticky=scope["type"] == "http"
                )
                try:
                    state["principal"] = await self.holder["auth"].principal(
                        headers, sessions=reads.session
                    )
                except DomainError as exc:
                    if scope["type"] == "websocket":
                        await send({"type": "websocket.close", "code": 4401, "reason": exc.message})
                        return
                    await _error(send, 401, exc.code, exc.message, request_id)
                    return
                except Exception as exc:
                    if not is_outage(exc):
                        raise
                    # The API key or token is checked against the database: none, no answer.
                    log.warning("request.database_unavailable", error=repr(exc))
                    if scope["type"] == "websocket":
                        await send({"type": "websocket.close", "code": 1013, "reason": "retry"})
                        return
                    await _error(
                        send,
                        503,
                        Unavailable.code,
                        DB_UNAVAILABLE_MESSAGE,
                        request_id,
                        retry_after=self.retry_after,
                    )
                    return

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message.setdefault("headers", [])
                    message["headers"] = [
                        *message["headers"],
                        (b"x-request-id", request_id.encode()),
                    ]
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            except _BodyTooLarge:
                await _error(
                    send,
                    413,
                    "PAYLOAD_TOO_LARGE",
                    f"Request body over {self.max_body} bytes.",
                    request_id,
                )
        finally:
            if "reads" in state:
                await state.pop("reads").release()
            structlog.contextvars.unbind_contextvars("request_id")


class _BodyTooLarge(Exception):
    pass


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge
        return message

    return wrapped


def _limited_messages(receive: Receive, send: Send, limit: int) -> tuple[Receive, Send]:
    """Websocket messages over ``limit`` bytes (the HTTP body cap) close the connection with
    1009 (message too big) and a reason; the app sees a disconnect and sends nothing more."""
    closed = False

    async def wrapped_receive() -> Message:
        nonlocal closed
        message = await receive()
        if message["type"] == "websocket.receive":
            text, data = message.get("text"), message.get("bytes")
            size = len(text.encode()) if text is not None else len(data or b"")
            if size > limit:
                closed = True
                await send(
                    {
                        "type": "websocket.close",
                        "code": 1009,
                        "reason": f"Message over {limit} bytes; send smaller messages.",
                    }
                )
                return {"type": "websocket.disconnect", "code": 1009}
        return message

    async def wrapped_send(message: Message) -> None:
        if not closed:
            await send(message)

    return wrapped_receive, wrapped_send


async def _error(
    send: Send,
    status: int,
    code: str,
    message: str,
    request_id: str,
    *,
    retry_after: int | None = None,
) -> None:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Starlette:
    """ASGI factory (``uvicorn --factory api.app:create_app``). Tests pass a ready runtime."""
    settings = settings or (runtime.settings if runtime else get_settings())
    configure_logging(json=not settings.dev_mode)
    holder: dict[str, Any] = {}
    if runtime is not None:
        holder["runtime"] = runtime
        holder["auth"] = Authenticator(runtime)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = runtime is None
        if owned:
            holder["runtime"] = await Runtime.start(settings)
            holder["auth"] = Authenticator(holder["runtime"])
        log.info(
            "omnicommerce.ready",
            production=not settings.dev_mode,
            broadcast=holder["runtime"].broadcaster.name,
        )
        try:
            yield
        finally:
            if owned:
                await holder["runtime"].stop()

    graphql = GraphQLApp(
        build_schema(settings),
        holder=holder,
        retry_after=settings.unavailable_retry_after_seconds,
        settings=settings,
        graphql_ide="graphiql" if settings.dev_mode else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        keep_alive=True,
        keep_alive_interval=15,
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> Response:
        rt: Runtime = holder["runtime"]
        try:
            async with rt.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse(
                {"status": "unready", "postgres": "down", "error": str(exc)}, status_code=503
            )
        redis_ok = await rt.broadcaster.ping()
        return JSONResponse(
            {
                "status": "ready" if redis_ok else "degraded",
                "postgres": "up",
                "redis": ("up" if redis_ok else "down")
                if rt.broadcaster.name == "redis"
                else "not configured",
            }
        )

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(
        RequestMiddleware,
        holder=holder,
        max_body=settings.max_body_bytes,
        retry_after=settings.unavailable_retry_after_seconds,
    )
    return app
