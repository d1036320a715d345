"""Running one Mini App API call: sign-in, the per-user rate, the body's size, one transaction, and
domain errors turned into the reader's language the way handlers/errors.py does for the bot."""

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, timedelta
from datetime import time as day_time
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.miniapp.auth import HEADER, GroupRefused, Signed, SignInFailed, verify
from locales.i18n import DEFAULT_LOCALE, LOCALES, translate
from services.errors import N_, ConsentRequired, DiaryError, NotAllowed, NotFound, NotLinked
from services.grades import AbsentNeedsConfirmation
from services.roles import Viewer, load_viewer

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a column of grades with comments is a few KB
Model = TypeVar("Model", bound=BaseModel)


@dataclass
class Call:
    """What an endpoint gets: the transaction, who is asking, their language and the request."""

    session: AsyncSession
    viewer: Viewer
    locale: str
    request: web.Request
    body: bytes

    def parsed(self, model: type[Model]) -> Model:
        try:
            return model.model_validate_json(self.body or b"{}")
        except ValidationError as error:
            raise Malformed(error) from None

    def query(self, model: type[Model]) -> Model:
        try:
            return model.model_validate(dict(self.request.query))
        except ValidationError as error:
            raise Malformed(error) from None


class Malformed(Exception):
    """A body or query the page would never send: named, never echoed."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        first = error.errors()[0]
        self.field = ".".join(str(part) for part in first["loc"]) or "body"


class ChangeRefused(Exception):
    """One change of a batch was refused: the whole batch is rolled back and the page is told which."""

    def __init__(self, error: DiaryError, index: int) -> None:
        super().__init__(error.message)
        self.error, self.index = error, index


class RateLimiter(Protocol):
    """Whether one more call of this key (a Telegram user, or an address without a valid sign-in)
    is let through now: 10 a second, in bursts of up to 40."""

    async def allow(self, key: str) -> bool: ...

    async def close(self) -> None: ...


RATE, BURST = 10.0, 40


class LocalRateLimiter:
    """A token bucket per key in this process: bursts of taps pass, a loop does not."""

    def __init__(self, rate: float = RATE, burst: int = BURST) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}

    async def allow(self, key: str) -> bool:
        return self.take(key)

    def take(self, key: str) -> bool:
        now = time.monotonic()
        tokens, then = self.buckets.get(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return False
        self.buckets[key] = (tokens - 1, now)
        if len(self.buckets) > 100_000:  # forget the idle ones now and then
            self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < 60}
        return True

    async def close(self) -> None:
        return None


# The same token bucket kept in Redis, in one round trip: the bucket's tokens and when they were
# counted, by Redis's own clock (the processes' clocks may differ); forgotten once it would be full.
TOKEN_BUCKET = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local kept = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = burst
if kept[1] then tokens = math.min(burst, tonumber(kept[1]) + math.max(0, now - tonumber(kept[2])) * rate) end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return allowed
"""
# After Redis failed to answer, this long on the process's own buckets before asking it again:
# every call waiting on a Redis that is away would make the page slow for nothing.
REDIS_PAUSE = 5.0


def client_address(request: web.Request) -> str:
    """Who is calling, for the limit on calls without a sign-in. Behind the proxy every call comes from
    the proxy's address (loopback or the private network, deploy/Caddyfile), which would make one
    bucket of everyone; there the address the proxy itself added, the last of X-Forwarded-For, is the
    caller's. From anywhere else the header is the caller's own word and is not taken."""
    remote = request.remote or ""
    try:
        proxied = ipaddress.ip_address(remote).is_private
    except ValueError:
        proxied = False
    forwarded = request.headers.get("X-Forwarded-For", "")
    if proxied and forwarded:
        return forwarded.split(",")[-1].strip() or remote
    return remote


class RedisRateLimiter:
    """The limit shared by every process of the bot through Redis, so that several web processes
    do not each allow the whole rate; while Redis does not answer, each process's own buckets."""

    def __init__(self, url: str, prefix: str, rate: float = RATE, burst: int = BURST) -> None:
        from bot.redis_client import connect

        self.redis = connect(url)
        self.prefix = prefix
        self.rate, self.burst = rate, burst
        self.script = self.redis.register_script(TOKEN_BUCKET)
        self.fallback = LocalRateLimiter(rate, burst)
        self.paused_until = 0.0

    async def allow(self, key: str) -> bool:
        from redis.exceptions import RedisError

        if time.monotonic() < self.paused_until:
            return self.fallback.take(key)
        try:
            return bool(await self.script([f"{self.prefix}:{key}"], [self.rate, self.burst]))
        except (RedisError, OSError) as error:
            log.warning("Mini App rate limit on this process only for %.0f s: Redis: %s", REDIS_PAUSE, error)
            self.paused_until = time.monotonic() + REDIS_PAUSE
            return self.fallback.take(key)

    async def close(self) -> None:
        await self.redis.aclose()


def make_limiter(token: str, redis_url: str | None) -> RateLimiter:
    if not redis_url:
        return LocalRateLimiter()
    bot_id = token.split(":")[0]
    return RedisRateLimiter(redis_url, f"diary:{bot_id}:miniapp-rate")


def status_of(error: DiaryError) -> tuple[int, str]:
    if isinstance(error, SignInFailed):
        return 401, "sign_in"
    if isinstance(error, NotLinked):
        return 403, "not_linked"
    if isinstance(error, ConsentRequired):
        return 403, "consent"
    if isinstance(error, (NotAllowed, GroupRefused)):
        return 403, "not_allowed"
    if isinstance(error, NotFound):
        return 404, "not_found"
    if isinstance(error, AbsentNeedsConfirmation):
        return 409, "confirm_absent"
    return 422, "refused"


def locale_of(viewer: Viewer | None, language_code: str | None) -> str:
    """As the bot chooses: the account's language, else Telegram's when it is ru or en, else the school's."""
    if viewer is not None and viewer.account is not None and viewer.account.locale in LOCALES:
        return viewer.account.locale
    code = (language_code or "").split("-")[0].lower()
    if code in LOCALES:
        return code
    if viewer is not None and viewer.school is not None:
        return viewer.school.locale
    return DEFAULT_LOCALE


def browser_locale(request: web.Request) -> str:
    """Before sign-in there is no account: the browser's language decides."""
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().split("-")[0].lower()
        if code in LOCALES:
            return code
    return DEFAULT_LOCALE


def to_json(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    if isinstance(value, (date, day_time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def answer(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(to_json(data)),
        status=status,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def refusal(text: str, code: str, status: int, **extra: Any) -> web.Response:
    return answer({"error": text, "code": code, **extra}, status)


Endpoint = Callable[[Call], Awaitable[Any]]


class Api:
    """Wraps each endpoint in the Mini App's sign-in and unit of work."""

    def __init__(
        self, token: str, sessionmaker: async_sessionmaker[AsyncSession], max_age_hours: float, limiter: RateLimiter
    ) -> None:
        self.token = token
        self.sessionmaker = sessionmaker
        self.max_age = timedelta(hours=max_age_hours)
        self.limiter = limiter
        self.running: set[asyncio.Task[web.StreamResponse]] = set()

    def __call__(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self.run(endpoint, request)

        return handle

    async def run(self, endpoint: Endpoint, request: web.Request) -> web.StreamResponse:
        locale = browser_locale(request)
        try:
            signed = verify(self.token, request.headers.get(HEADER), self.max_age)
        except SignInFailed as error:
            # Limited too, per address: a loop of calls without a sign-in costs little but is not let run.
            if not await self.limiter.allow(f"ip:{client_address(request)}"):
                return self.too_many(locale)
            status, code = status_of(error)
            return refusal(translate(error.message, locale, **error.params), code, status)
        except DiaryError as error:
            status, code = status_of(error)
            return refusal(translate(error.message, locale, **error.params), code, status)
        if not await self.limiter.allow(f"u:{signed.user_id}"):
            return self.too_many(locale)
        body = await read_body(request)
        if body is None:
            text = translate(N_("This is too much to save at once: save in smaller parts."), locale)
            return refusal(text, "too_large", 413)
        # The transaction runs in a task of its own: a call whose page went away (or a server
        # stopping) still ends it with its commit or rollback, never cut between two statements
        # with a connection left holding its locks; and stopping waits for these (drain).
        work = asyncio.create_task(self.transaction(endpoint, request, signed, body, locale))
        self.running.add(work)
        work.add_done_callback(self.running.discard)
        return await asyncio.shield(work)

    def too_many(self, locale: str) -> web.Response:
        text = translate(N_("Too many requests at once. Wait a few seconds and try again."), locale)
        return refusal(text, "rate", 429)

    async def drain(self, timeout: float = 30) -> None:
        """Wait for the calls under way (the server is stopping)."""
        if self.running:
            await asyncio.wait(set(self.running), timeout=timeout)

    async def transaction(
        self, endpoint: Endpoint, request: web.Request, signed: Signed, body: bytes, locale: str
    ) -> web.StreamResponse:
        try:
            async with self.sessionmaker() as session:
                viewer = await load_viewer(session, signed.user_id)
                locale = locale_of(viewer, signed.language_code)
                viewer.require_linked()
                call = Call(session, viewer, locale, request, body)
                try:
                    result = await endpoint(call)
                    await session.commit()
                except (DiaryError, ChangeRefused) as error:
                    inner = error.error if isinstance(error, ChangeRefused) else error
                    await (session.commit() if inner.keeps_record else session.rollback())
                    raise
            return result if isinstance(result, web.StreamResponse) else answer(result)
        except DiaryError as error:
            status, code = status_of(error)
            return refusal(translate(error.message, locale, **error.params), code, status)
        except ChangeRefused as refused:
            status, code = status_of(refused.error)
            text = translate(refused.error.message, locale, **refused.error.params)
            return refusal(text, code, status, index=refused.index)
        except Malformed as bad:
            text = translate(
                N_("The page sent something the diary does not understand ({field}). Reload the page."),
                locale,
                field=bad.field,
            )
            return refusal(text, "malformed", 400)
        except Exception:
            log.exception("Mini App call %s failed", request.path)
            text = translate(
                N_("Something went wrong on our side and nothing was saved. Please try again in a minute."), locale
            )
            return refusal(text, "failed", 500)


async def read_body(request: web.Request) -> bytes | None:
    """The whole body, or None when it is over the limit (read no further than just past it). One
    read returns only what has arrived so far: a body sent in chunks is read to its end."""
    if request.method in ("GET", "HEAD"):
        return b""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    parts: list[bytes] = []
    size = 0
    while size <= MAX_BODY:
        part = await request.content.read(MAX_BODY + 1 - size)
        if not part:
            return b"".join(parts)
        parts.append(part)
        size += len(part)
    return None
