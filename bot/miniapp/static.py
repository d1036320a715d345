"""The page's three files and its words in each language, read once, gzipped once, and served with
their hashes in the links (so a browser keeps them until they change)."""

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiohttp import web

from bot.miniapp.strings import strings_for
from locales.i18n import LOCALES

HERE = Path(__file__).resolve().parent / "static"
TYPES = {".html": "text/html", ".css": "text/css", ".js": "application/javascript", ".json": "application/json"}
# The page talks to its own server only; Telegram's web client shows it in a frame.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; "
    "connect-src 'self'; frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    version: str


def _asset(body: bytes, suffix: str) -> Asset:
    return Asset(body, gzip.compress(body, 9, mtime=0), TYPES[suffix], hashlib.sha256(body).hexdigest()[:12])


class StaticFiles:
    def __init__(self, folder: Path = HERE) -> None:
        self.assets = {name: _asset((folder / name).read_bytes(), Path(name).suffix) for name in ("app.js", "app.css")}
        # The words are the same for everyone of a language (none of them is personal): fetched
        # beside the sign-in, not inside its answer, and kept by the browser.
        self.words = {locale: _asset(orjson.dumps(strings_for(locale)), ".json") for locale in LOCALES}
        words = hashlib.sha256("".join(w.version for w in self.words.values()).encode()).hexdigest()[:12]
        page = (folder / "index.html").read_text(encoding="utf-8")
        for key, version in (("{css}", self.assets["app.css"].version), ("{js}", self.assets["app.js"].version)):
            page = page.replace(key, version)
        self.page = _asset(page.replace("{words}", words).encode(), ".html")
        self.words_version = words

    async def redirect(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect(request.path + "/")

    async def index(self, request: web.Request) -> web.Response:
        # The page itself is never cached: a new version's links name the new files.
        return self._send(request, self.page, "no-cache")

    async def asset(self, request: web.Request) -> web.Response:
        found = self.assets[request.match_info["name"]]
        return self._send(request, found, "public, max-age=31536000, immutable")

    async def strings(self, request: web.Request) -> web.Response:
        found = self.words.get(request.match_info["locale"])
        if found is None:
            raise web.HTTPNotFound()
        # Kept for good only under the current version's address; any other is asked again.
        current = request.query.get("v") == self.words_version
        return self._send(request, found, "public, max-age=31536000, immutable" if current else "no-cache")

    def _send(self, request: web.Request, asset: Asset, cache: str) -> web.Response:
        headers = {
            "Cache-Control": cache,
            "ETag": f'"{asset.version}"',
            "Content-Security-Policy": POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Vary": "Accept-Encoding",
        }
        if request.headers.get("If-None-Match") == f'"{asset.version}"':
            return web.Response(status=304, headers=headers)
        body = asset.body
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body = asset.gzipped
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, headers=headers, content_type=asset.content_type, charset="utf-8")
