"""The aiohttp application: the Bot Framework endpoint, the local chat page and health checks.

``create_app(settings)`` builds nothing heavy itself: it registers a start-up
context that opens the database, checks its schema, makes sure there is a wave
to answer, loads the questionnaires and the knowledge base and builds the
SDK host (bot.hosts) and the bot. Broken content or an old schema stops the start with a
message that says what to fix. Everything lives in app keys; several
processes can serve the same database because no conversation state is kept
in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.handler import SafeguardingBot
from bot.hosts import AuthenticationUnavailable, Host, create_host
from bot.inbound import MalformedActivity
from bot.proactive import ProactiveSender
from bot.services import Services
from bot.state import BotStateStorage
from bot.workers import TurnWorkers
from common.clock import clock_for
from common.errors import ContentError, SafeguardingBotError
from common.partnership import load_partnership
from common.settings import ROOT, Settings

if TYPE_CHECKING:
    from storage.database import Database

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "web"
RENDERER_DIR = ROOT / "node_modules" / "adaptivecards" / "dist"
STATIC_FILES: Mapping[str, Path] = {
    "adaptivecards.js": RENDERER_DIR / "adaptivecards.min.js",
    "adaptivecards.css": RENDERER_DIR / "adaptivecards.css",
    "chat.js": WEB_DIR / "chat.js",
    "chat.css": WEB_DIR / "chat.css",
}

HostFactory = Callable[[Settings], Host]
SWITCH_INTERVAL = 0.0001  # seconds

SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
BOT = web.AppKey("bot", SafeguardingBot)
HOST = web.AppKey("host", object)
HOST_FACTORY = web.AppKey("host_factory", object)
WORKERS = web.AppKey("workers", TurnWorkers)
CLOCK = web.AppKey("clock", object)


def create_app(
    settings: Settings,
    *,
    host_factory: HostFactory | None = None,
    clock: Callable[[], datetime] | None = None,
) -> web.Application:
    """The bot's web application; resources are opened when it starts, closed when it stops.

    ``host_factory`` builds the SDK host that runs turns and talks to the Bot
    Connector (default ``bot.hosts.create_host``, the one BOT_HOST names).
    ``clock`` gives the current time (tests move it to before or after a wave); by default
    real time, or DEV_CLOCK in open local use (common.clock).
    """
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[HOST_FACTORY] = host_factory or create_host
    app[CLOCK] = clock or clock_for(settings)
    app.cleanup_ctx.append(_resources)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/", chat_page)
    app.router.add_get("/static/{name}", static_file)
    app.router.add_get("/favicon.ico", no_icon)
    _add_report_route(app)
    return app


RETENTION_FIRST = 60  # seconds after start-up (start-up itself stays quick) ...
RETENTION_EVERY = 3600  # ... and then between enforcing the retention periods (storage.retention)


async def keep_retention(db: Database, settings: Settings, stop: asyncio.Event) -> None:
    """Delete whatever is past its retention period, soon after start-up and then hourly, until ``stop``.

    Real time, not the app's clock: rows are stamped with real time. Stopped by
    the event, never cancelled, so no transaction is cut off mid-way.
    """
    from storage.errors import StorageError
    from storage.retention import Retention, enforce

    wait = RETENTION_FIRST
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        if stop.is_set():
            return
        wait = RETENTION_EVERY
        try:
            deleted = await enforce(db, Retention.from_settings(settings))
            if any(deleted.values()):
                log.info("retention: deleted %s", ", ".join(f"{t} {n}" for t, n in deleted.items() if n))
        except StorageError as exc:
            log.warning("retention could not run (%s); trying again later", type(exc).__name__)
        except Exception:  # a bug here must not end the loop unseen; the log holds no contents
            log.exception("retention failed; trying again later")


async def _resources(app: web.Application) -> AsyncIterator[None]:
    """Open everything a turn needs, in order, failing with a clear message; close it all after."""
    # Imported here, not at module level: storage and content are opened only when the app starts.
    from guidance.knowledge import load_knowledge_base
    from storage.database import Database
    from storage.state import StateStore
    from storage.submissions import recover
    from storage.waves import ensure_default_wave
    from surveys.loader import load_definitions

    settings = app[SETTINGS]
    # Small turns run their CPU work (emergency detection, retrieval, parsing the body) in threads,
    # long ones in worker processes (bot.workers); while a thread holds the GIL the event loop waits
    # up to the switch interval (5 ms by default) at every step of every other request. A shorter
    # interval keeps /healthz and other people's turns quick (bench/long_message_bench.py).
    sys.setswitchinterval(SWITCH_INTERVAL)
    settings.require_safe_secret()  # before anything is opened: refuse to start without a strong secret
    if not settings.secret_key:
        log.warning(
            "SECRET_KEY is not set: using a fixed development key for wave keys and report links. "
            "This is for open local use only."
        )
    clock: Callable[[], datetime] = app[CLOCK]  # type: ignore[assignment]
    partnership = load_partnership(settings.partnership_file)
    definitions = load_definitions(partnership)
    knowledge = load_knowledge_base(partnership)
    db = await Database.open(settings.resolved_database_url, secret=settings.secret_bytes())
    host: Host | None = None
    retention: asyncio.Task[None] | None = None
    stop_retention = asyncio.Event()
    workers = TurnWorkers(knowledge, settings.partnership_file, settings.turn_workers)
    workers.start()  # in the background: threads do the work until every worker is ready
    try:
        await db.require_current_schema()
        default = definitions.get(partnership.default_questionnaire)
        if default is None:
            raise ContentError(
                str(settings.partnership_file),
                None,
                f"default questionnaire '{partnership.default_questionnaire}' is not defined",
            )
        await ensure_default_wave(db, partnership, clock().date(), version=default.version)
        # Whole batches of confirmed responses waiting (say after a crash) are stored now.
        flushed = await recover(db, settings)
        if flushed.moved:
            log.info("stored %d confirmed response(s) at start-up", flushed.moved)
        retention = asyncio.create_task(keep_retention(db, settings, stop_retention))
        host = app[HOST_FACTORY](settings)  # type: ignore[operator]
        services = Services(
            settings=settings,
            db=db,
            partnership=partnership,
            definitions=definitions,
            knowledge=knowledge,
            state=BotStateStorage(StateStore(db)),
            host=host,
            clock=clock,
            workers=workers,
            sender=ProactiveSender(settings, host),
        )
        app[SERVICES] = services
        app[HOST] = host
        app[BOT] = SafeguardingBot(services)
        app[WORKERS] = workers
        yield
    finally:
        if retention is not None:
            stop_retention.set()
            await retention  # its transaction ends before the database closes
        if host is not None:
            await host.close()
        await db.close()
        await workers.close()


# --- /api/messages ----------------------------------------------------------------------------


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def tenant_of(body: Mapping[str, Any]) -> str | None:
    """The Teams tenant an activity comes from (channelData.tenant.id, else conversation.tenantId)."""
    channel_data = body.get("channelData")
    if isinstance(channel_data, dict) and isinstance(channel_data.get("tenant"), dict):
        tenant = channel_data["tenant"].get("id")
        if isinstance(tenant, str) and tenant:
            return tenant
    tenant = body["conversation"].get("tenantId")
    return tenant if isinstance(tenant, str) and tenant else None


async def messages(request: web.Request) -> web.StreamResponse:
    """The Bot Framework endpoint: validate, authenticate, run one turn, return any reply body.

    Everything the client got wrong is a 4xx with a short reason; a tenant not
    on the allow-list gets 403 (decided: refusing is clearer than silence, and
    Teams does not retry a 4xx); nothing here answers 500 on purpose.
    """
    settings = request.app[SETTINGS]
    if request.content_type != "application/json":
        return _problem(415, "Content-Type must be application/json")
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        return _problem(413, f"the body is larger than {settings.max_body_bytes} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, f"the body is larger than {settings.max_body_bytes} bytes")
    try:
        # A large body is read off the event loop (in a worker process where there is one).
        body, activity = await request.app[WORKERS].read(raw)
    except MalformedActivity as exc:
        log.warning("refused a malformed activity: %s", exc.reason)
        return _problem(400, exc.reason)
    if settings.allowed_tenants and tenant_of(body) not in settings.allowed_tenants:
        log.warning("refused an activity from a tenant that is not allowed")
        return _problem(403, "this bot is not available to your organisation")
    try:
        answer = await request.app[HOST].handle(  # type: ignore[attr-defined]
            request.headers.get("Authorization", ""), body, activity, request.app[BOT].on_turn
        )
    except MalformedActivity as exc:  # valid for this project, refused by the host's own schema
        log.warning("refused a malformed activity: %s", exc.reason)
        return _problem(400, exc.reason)
    except PermissionError:
        return _problem(401, "the request is not authenticated")
    except AuthenticationUnavailable:
        return _problem(503, "authentication is unavailable; try again shortly")
    except SafeguardingBotError as exc:
        log.warning("turn refused: %s", type(exc).__name__)
        return _problem(
            exc.status if 400 <= exc.status < 600 else 503, "the bot could not take that just now"
        )
    if answer.body is None:
        return web.Response(status=answer.status)
    return web.json_response(answer.body, status=answer.status)


# --- health --------------------------------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    """The process is up and serving (no dependency checked)."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready for traffic: the database answers, its schema is current and the content is loaded."""
    services = request.app.get(SERVICES)
    if services is None:
        return web.json_response({"status": "starting"}, status=503)
    checks: dict[str, str] = {
        "content": f"{len(services.definitions)} questionnaires, {len(services.knowledge.topics)} topics",
        # Informational: until they are, long messages are worked on in threads.
        "turn_workers": f"{services.workers.processes} of {services.settings.turn_workers} ready",
    }
    try:
        await services.db.require_current_schema()
    except SafeguardingBotError as exc:
        checks["database"] = str(exc)
        return web.json_response({"status": "not ready", **checks}, status=503)
    except Exception as exc:  # any failure to reach the database means "not ready", never a 500
        checks["database"] = f"unreachable ({type(exc).__name__})"
        return web.json_response({"status": "not ready", **checks}, status=503)
    checks["database"] = "ok, schema current"
    return web.json_response({"status": "ready", **checks})


# --- the local chat page -------------------------------------------------------------------------


async def chat_page(request: web.Request) -> web.StreamResponse:
    """The browser chat page; only while the endpoint is open (it cannot sign its requests)."""
    settings = request.app[SETTINGS]
    if not (settings.is_open and settings.dev_open_endpoint):
        return web.Response(
            status=404,
            text="The local chat page is only available when the bot runs without a Microsoft app id.",
        )
    return web.FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def no_icon(request: web.Request) -> web.Response:
    """Browsers ask for an icon; there is none, and that is not an error worth logging."""
    return web.Response(status=204)


async def static_file(request: web.Request) -> web.StreamResponse:
    path = STATIC_FILES.get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    if not path.exists():
        # Only the renderer can be missing: it comes from npm.
        return web.Response(status=404, text=f"{path.name} is missing: run `npm ci` (make run does).")
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


# --- signed report links -------------------------------------------------------------------------


def _add_report_route(app: web.Application) -> None:
    """Serve report files by signed link, when the analysis package (which signs them) is installed."""
    import importlib.util

    if importlib.util.find_spec("analysis.links") is None:
        return
    app.router.add_get("/reports/{path:.+}", report_file)


async def report_file(request: web.Request) -> web.StreamResponse:
    """A report file of the one agency (and wave) its signed path names; 403 forged, 410 expired."""
    from analysis.links import resolve_report_file

    settings = request.app[SETTINGS]
    now: datetime = request.app[CLOCK]()  # type: ignore[operator]
    # The path as it came on the wire, not as decoded: a percent-encoded spelling of a link is not the link.
    signed = request.raw_path.partition("?")[0].removeprefix("/reports/")
    try:
        path = await asyncio.to_thread(resolve_report_file, settings, signed, now)
    except SafeguardingBotError as exc:
        return _problem(exc.status if 400 <= exc.status < 500 else 403, str(exc))
    return web.FileResponse(path, headers={"Cache-Control": "private, no-store"})
