"""A Bot API emulator on loopback: answers the methods the bot uses as Telegram does.

Tests (and `diary-bot emulator`) inject what people type and press, and read what the bot sent.
The bot talks to it through aiogram's TelegramAPIServer, as it would to Telegram.
"""

import asyncio
import collections
import contextlib
import itertools
import json
import secrets
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

JSON_FIELDS = {
    "reply_markup",
    "commands",
    "scope",
    "entities",
    "caption_entities",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
    "media",
}
BOT_ID = 7000000001


class ApiError(Exception):
    def __init__(self, code: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    content: bytes
    name: str | None
    path: str


@dataclass
class Chat:
    user: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)  # everything, both sides, as now
    blocked: bool = False
    group: dict[str, Any] | None = None  # a group chat's own object; None for a private chat
    # What the person sees change, for `diary-bot chat`: each change takes the emulator's next version.
    version: int = 0
    revisions: dict[int, int] = field(default_factory=dict)  # a bot message's id -> version of its last change
    deleted: dict[int, int] = field(default_factory=dict)  # a deleted bot message's id -> version
    popups: list[dict[str, Any]] = field(default_factory=list)  # answers to this person's presses


@dataclass
class WebhookTarget:
    url: str
    secret: str | None
    max_connections: int
    in_flight: set[int] = field(default_factory=set)


class Emulator:
    def __init__(
        self,
        *,
        username: str = "diary_demo_bot",
        first_name: str = "Дневник",
        limits: bool = False,
        rate: int = 30,
        chat_interval: float = 1.0,
        open_chats: bool = False,
        paid_rate: int = 1000,
        first_update_id: int = 1,
    ) -> None:
        self.me = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.chats: dict[int, Chat] = {}
        self.pending: list[dict[str, Any]] = []
        self.confirmed = 0  # the highest update id the bot has acknowledged
        self.newest_update = 0  # the highest update id given out
        self.update_ids = itertools.count(first_update_id)
        self.message_ids = itertools.count(1)
        self.changed = asyncio.Condition()
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int, dict[str, Any]] = {}  # chat id -> its menu button (a Mini App)
        self.callback_answers: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.closing = False  # when set, long polls return at once so the bot can stop quickly
        # Telegram's limits, when on: `rate` messages a second per bot, one per `chat_interval` per chat.
        self.limits, self.rate, self.chat_interval = limits, rate, chat_interval
        # For load tests: any chat id is someone who has talked to the bot, and messages are counted, not kept.
        self.open_chats = open_chats
        self.delivered = 0
        self.first_delivered_at = self.last_delivered_at = 0.0  # monotonic, for the sustained rate
        self.recent_sends: collections.deque[float] = collections.deque()
        self.chat_last_send: dict[int, float] = {}
        self.too_many = 0  # 429s answered
        self.failures: list[tuple[int, str, dict[str, Any]]] = []  # injected: (code, description, parameters)
        self.stalls: list[float] = []  # injected: seconds to hold back the answer of the next sends
        # Paid broadcast: sends with allow_paid_broadcast have a limit of their own, and are counted.
        self.paid_rate, self.paid = paid_rate, 0
        self.recent_paid: collections.deque[float] = collections.deque()
        self.drops: list[str] = []  # injected: the next sends are delivered, then the connection is cut
        self.view_versions = itertools.count(1)
        self.view_changed = asyncio.Event()  # set and replaced at every change a person would see
        self.pressed_by: dict[str, int] = {}  # a callback query's id -> the user who pressed
        # Webhook mode: updates are posted to the bot's URL, retried until answered 200, like Telegram.
        self.webhook: WebhookTarget | None = None
        self.webhook_pump: asyncio.Task[None] | None = None
        self.webhook_posts = self.webhook_retries = 0
        self.webhook_posting: set[asyncio.Task[None]] = set()
        self.polls = 0  # getUpdates calls begun: a newer one ends a waiting one with 409, as Telegram does
        # Where it listens (set by `serve`), so an outage can stop listening and start again.
        self.listening: tuple[web.AppRunner, web.TCPSite, str, int] | None = None
        self.outage: asyncio.Task[None] | None = None

    # --- what a person does ---------------------------------------------------------------
    def _user(self, user_id: int, first_name: str | None, language_code: str | None) -> dict[str, Any]:
        chat = self.chats.get(user_id)
        if chat is None:
            chat = self.chats[user_id] = Chat(
                {"id": user_id, "is_bot": False, "first_name": first_name or f"User {user_id}"}
            )
        if language_code is not None:
            chat.user["language_code"] = language_code
        return chat.user

    def _chat_of(self, user: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(user["id"])
        if chat is not None and chat.group is not None:
            return chat.group
        return {"id": user["id"], "type": "private", "first_name": user["first_name"]}

    def add_group(self, group_id: int, title: str = "5А родители") -> None:
        """A group chat the bot is a member of (its id is negative, as Telegram's are)."""
        assert group_id < 0
        self.chats[group_id] = Chat(
            {"id": group_id, "first_name": title}, group={"id": group_id, "type": "group", "title": title}
        )

    async def say_in_group(self, group_id: int, user_id: int, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        """A member writes in a group; returns what the bot sent to the group in reply."""
        user = self._user(user_id, None, kwargs.get("language_code"))
        before = len(self.bot_messages(group_id))
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        group = self.chats[group_id]
        message = {
            "message_id": next(self.message_ids),
            "date": int(time.time()),
            "from": user,
            "chat": group.group,
            **content,
        }
        group.messages.append(message)
        await self.wait_processed(await self._push("message", message))
        return self.bot_messages(group_id)[before:]

    async def _push(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self.update_ids)
        async with self.changed:
            self.newest_update = max(self.newest_update, update_id)
            self.pending.append({"update_id": update_id, kind: payload})
            self.changed.notify_all()
        return update_id

    def _incoming(self, user: dict[str, Any], **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self.message_ids),
            "date": int(time.time()),
            "from": user,
            "chat": self._chat_of(user),
            **content,
        }
        self.chats[user["id"]].messages.append(message)
        return message

    async def send_text(
        self, user_id: int, text: str, *, first_name: str | None = None, language_code: str | None = None
    ) -> int:
        user = self._user(user_id, first_name, language_code)
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self._push("message", self._incoming(user, **content))

    async def send_document(self, user_id: int, content: bytes, filename: str, *, caption: str | None = None) -> int:
        user = self._user(user_id, None, None)
        stored = self._store(content, filename)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": filename,
            "file_size": len(content),
        }
        return await self._push(
            "message", self._incoming(user, document=document, **({"caption": caption} if caption else {}))
        )

    async def send_photo(self, user_id: int, content: bytes, *, caption: str | None = None) -> int:
        user = self._user(user_id, None, None)
        stored = self._store(content, None)
        photo = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.unique_id,
                "width": 800,
                "height": 600,
                "file_size": len(content),
            }
        ]
        return await self._push(
            "message", self._incoming(user, photo=photo, **({"caption": caption} if caption else {}))
        )

    async def press(self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None) -> int:
        """Press an inline button; `data` may be any string, as a forged press would be. In a
        group (`chat_id`), any member may press a button of a message there."""
        user = self._user(user_id, None, None)
        message = self._find(chat_id if chat_id is not None else user_id, message_id)
        query_id = secrets.token_hex(8)
        query = {
            "id": query_id,
            "from": user,
            "chat_instance": str(user_id),
            "message": message,
            "data": data,
        }
        self.pressed_by[query_id] = user_id
        return await self._push("callback_query", query)

    def buttons(self, message: dict[str, Any]) -> list[tuple[str, str]]:
        markup = message.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]

    async def press_text(self, user_id: int, message: dict[str, Any], label: str) -> int:
        for text, data in self.buttons(message):
            if text == label:
                return await self.press(user_id, message["message_id"], data)
        raise KeyError(f"no button {label!r} in {self.buttons(message)}")

    async def close(self) -> None:
        async with self.changed:
            self.closing = True
            self.changed.notify_all()
        self._seen_change()
        if self.webhook_pump is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.webhook_pump, 2)

    def block(self, user_id: int) -> None:
        self.chats[user_id].blocked = True

    # --- what a test reads -------------------------------------------------------------------
    async def wait_processed(self, update_id: int, timeout: float = 10) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: self.confirmed >= update_id), timeout)

    async def wait_messages(self, user_id: int, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """Wait until the bot has sent this chat at least `count` messages (for a bot that
        handles updates as tasks, where an acknowledged update may still be in progress)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.bot_messages(user_id)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"chat {user_id} has {len(self.bot_messages(user_id))} of {count} messages")
            await asyncio.sleep(0.02)
        return self.bot_messages(user_id)

    def bot_messages(self, user_id: int) -> list[dict[str, Any]]:
        chat = self.chats.get(user_id)
        return [m for m in chat.messages if m["from"]["id"] == BOT_ID] if chat else []

    def last(self, user_id: int) -> dict[str, Any]:
        return self.bot_messages(user_id)[-1]

    def texts(self, user_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.bot_messages(user_id)]

    async def say(self, user_id: int, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        """Send a text, wait for the bot to handle it, return what the bot sent in reply."""
        before = len(self.bot_messages(user_id))
        await self.wait_processed(await self.send_text(user_id, text, **kwargs))
        return self.bot_messages(user_id)[before:]

    async def click(self, user_id: int, message: dict[str, Any], label: str) -> list[dict[str, Any]]:
        before = len(self.bot_messages(user_id))
        await self.wait_processed(await self.press_text(user_id, message, label))
        return self.bot_messages(user_id)[before:]

    def _seen_change(self, chat: Chat | None = None, message_id: int | None = None) -> int:
        """Something a person sees changed (or the emulator closes): wake those watching."""
        version = next(self.view_versions)
        if chat is not None:
            chat.version = version
            if message_id is not None:
                chat.revisions[message_id] = version
        self.view_changed.set()
        self.view_changed = asyncio.Event()
        return version

    def view(self, user_id: int, after: int = 0) -> dict[str, Any]:
        """What changed in this person's chat since version `after`, in order: the bot's new or edited
        messages (each as it is now), the ones it deleted, and the answers to presses (pop-ups)."""
        chat = self.chats.get(user_id)
        if chat is None:
            return {"version": 0, "events": []}
        events: list[dict[str, Any]] = [
            {"version": chat.revisions[m["message_id"]], "message": m}
            for m in chat.messages
            if m["from"]["id"] == BOT_ID and chat.revisions.get(m["message_id"], 0) > after
        ]
        events += [{"version": v, "deleted": mid} for mid, v in chat.deleted.items() if v > after]
        events += [{"version": p["version"], "popup": p} for p in chat.popups if p["version"] > after]
        events.sort(key=lambda event: event["version"])
        return {"version": chat.version, "events": events}

    async def watch(self, user_id: int, after: int, timeout: float) -> dict[str, Any]:
        """`view`, once there is something new after `after` or `timeout` seconds have passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.closing:
            chat = self.chats.get(user_id)
            if chat is not None and chat.version > after:
                break
            changed = self.view_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), deadline - loop.time())
            if loop.time() >= deadline:
                break
        return self.view(user_id, after)

    def _find(self, chat_id: int, message_id: int) -> dict[str, Any]:
        chat = self.chats.get(chat_id)
        for message in chat.messages if chat else []:
            if message["message_id"] == message_id:
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    def upload(self, content: bytes, name: str | None = None) -> str:
        """A file as if someone had sent it to the bot before; returns its file id."""
        return self._store(content, name).file_id

    def _store(self, content: bytes, name: str | None) -> StoredFile:
        file_id = "F" + secrets.token_urlsafe(24)
        stored = StoredFile(
            file_id, secrets.token_hex(8), content, name, f"documents/{secrets.token_hex(6)}_{name or 'photo.jpg'}"
        )
        self.files[file_id] = stored
        return stored

    # --- the Bot API ----------------------------------------------------------------------------
    def _chat(self, params: dict[str, Any]) -> Chat:
        chat_id = int(params.get("chat_id", 0))
        if self.open_chats and chat_id not in self.chats:
            self.add_chat(chat_id)
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def stall_next(self, seconds: float) -> None:
        """The next send is delivered but its answer is held back, as when the network drops a reply."""
        self.stalls.append(seconds)

    def fail_next(self, code: int, description: str, **parameters: Any) -> None:
        """The next send answers with this error, as Telegram would (a 429, a 500, a 403 …)."""
        self.failures.append((code, description, parameters))

    def drop_next(self, how: str = "disconnect") -> None:
        """The next send is delivered, then its connection is cut before the answer: closed
        ("disconnect") or reset ("reset"), as a proxy or a network failure would."""
        self.drops.append(how)

    def _check_limits(self, chat_id: int, paid: bool = False) -> None:
        if self.failures:
            code, description, parameters = self.failures.pop(0)
            if code == 429:
                self.too_many += 1
            raise ApiError(code, description, **parameters)
        if not self.limits:
            return
        now = time.monotonic()
        recent, rate = (self.recent_paid, self.paid_rate) if paid else (self.recent_sends, self.rate)
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        wait = 0.0
        if len(recent) >= rate:
            wait = recent[0] + 1.0 - now
        last = self.chat_last_send.get(chat_id)
        # A little slack for clocks: the limit is about one a second, not to the millisecond.
        if last is not None and now - last < self.chat_interval * 0.9:
            wait = max(wait, last + self.chat_interval - now)
        if wait > 0:
            self.too_many += 1
            raise ApiError(
                429, f"Too Many Requests: retry after {max(1, round(wait))}", retry_after=max(1, round(wait))
            )
        recent.append(now)
        self.chat_last_send[chat_id] = now

    def add_chat(self, user_id: int, first_name: str | None = None) -> None:
        """A person who has talked to the bot before, so the bot may write to them."""
        self._user(user_id, first_name, None)

    def _outgoing(self, chat: Chat, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        paid = params.get("allow_paid_broadcast") in (True, "true", "True")
        self._check_limits(chat.user["id"], paid)
        self.paid += paid
        message = {
            "message_id": next(self.message_ids),
            "date": int(time.time()),
            "from": self.me,
            "chat": self._chat_of(chat.user),
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        if params.get("protect_content") in (True, "true", "True"):
            message["has_protected_content"] = True
        self.delivered += 1
        self.last_delivered_at = time.monotonic()
        self.first_delivered_at = self.first_delivered_at or self.last_delivered_at
        if not self.open_chats:
            chat.messages.append(message)
            self._seen_change(chat, message["message_id"])
        return message

    def _file_param(self, value: Any, uploads: dict[str, tuple[bytes, str]], name: str) -> StoredFile:
        if isinstance(value, str) and value.startswith("attach://"):
            value = uploads.get(value[len("attach://") :])
        if value is None and name in uploads:
            value = uploads[name]
        if isinstance(value, tuple):
            return self._store(*value)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _text(self, text: Any) -> str:
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return str(text)

    async def call(self, method: str, params: dict[str, Any], uploads: dict[str, tuple[bytes, str]]) -> Any:
        self.calls.append((method, params))
        handler = getattr(self, "m_" + method.lower(), None)
        if handler is None:
            raise ApiError(404, "Not Found")
        return await handler(params, uploads)

    async def m_getme(self, params: dict[str, Any], uploads: Any) -> Any:
        return self.me

    async def m_setwebhook(self, params: dict[str, Any], uploads: Any) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return await self.m_deletewebhook(params, uploads)
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ApiError(400, "Bad Request: bad webhook: HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        self.webhook = WebhookTarget(url, str(secret) if secret else None, int(params.get("max_connections") or 40))
        if params.get("drop_pending_updates"):
            self.pending.clear()
        if self.webhook_pump is None or self.webhook_pump.done():
            self.webhook_pump = asyncio.create_task(self._pump_webhook())
        async with self.changed:
            self.changed.notify_all()
        return True

    async def m_deletewebhook(self, params: dict[str, Any], uploads: Any) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.pending.clear()
        async with self.changed:
            self.changed.notify_all()  # the pump sees no target and stops
        return True

    async def m_getwebhookinfo(self, params: dict[str, Any], uploads: Any) -> Any:
        return {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
            "max_connections": self.webhook.max_connections if self.webhook else 40,
        }

    async def m_getupdates(self, params: dict[str, Any], uploads: Any) -> Any:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self.polls += 1
        mine = self.polls
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        async with self.changed:
            if offset:
                self.pending = [u for u in self.pending if u["update_id"] >= offset]
                self.confirmed = max(self.confirmed, offset - 1)
                self.changed.notify_all()
            if not self.pending and timeout and not self.closing:
                # A closing emulator answers at once, so a test's bot stops without a poll's timeout.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self.changed.wait_for(lambda: bool(self.pending) or self.closing or self.polls != mine),
                        timeout,
                    )
            if self.polls != mine:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            return self.pending[:limit]

    async def _pump_webhook(self) -> None:
        """Post each update to the webhook, several at once up to max_connections; one that is not
        answered 200 is posted again after a growing pause, as Telegram does."""
        import aiohttp

        async with aiohttp.ClientSession() as http:
            while True:
                async with self.changed:
                    await self.changed.wait_for(lambda: self.webhook is None or self.closing or bool(self._to_post()))
                    target = self.webhook
                    if target is None or self.closing:
                        return
                    batch = self._to_post()[: max(0, target.max_connections - len(target.in_flight))]
                    target.in_flight.update(u["update_id"] for u in batch)
                for update in batch:
                    task = asyncio.create_task(self._post_update(http, target, update))
                    self.webhook_posting.add(task)
                    task.add_done_callback(self.webhook_posting.discard)
                if not batch:
                    await asyncio.sleep(0.01)  # every connection busy: wait for one to free

    def _to_post(self) -> list[dict[str, Any]]:
        target = self.webhook
        if target is None:
            return []
        return [u for u in self.pending if u["update_id"] not in target.in_flight]

    async def _post_update(self, http: Any, target: WebhookTarget, update: dict[str, Any]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": target.secret} if target.secret else {}
        pause = 0.1
        while self.webhook is target and not self.closing:
            self.webhook_posts += 1
            # The bot down or restarting is not an answer: Telegram keeps the update and retries.
            with contextlib.suppress(Exception):
                async with http.post(target.url, json=update, headers=headers) as answer:
                    await answer.read()
                    if answer.status == 200:
                        break
            self.webhook_retries += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)
        else:
            target.in_flight.discard(update["update_id"])
            return
        async with self.changed:
            target.in_flight.discard(update["update_id"])
            self.pending = [u for u in self.pending if u["update_id"] != update["update_id"]]
            # Answered are all updates before the first one still waiting (some may be retried), and
            # all of them when none waits: posted side by side, the last answered may not be the newest.
            first_waiting = min((u["update_id"] for u in self.pending), default=None)
            latest = self.newest_update if first_waiting is None else first_waiting - 1
            self.confirmed = max(self.confirmed, latest)
            self.changed.notify_all()

    async def m_sendmessage(self, params: dict[str, Any], uploads: Any) -> Any:
        chat = self._chat(params)
        return self._outgoing(chat, params, text=self._text(params.get("text")))

    async def m_editmessagetext(self, params: dict[str, Any], uploads: Any) -> Any:
        chat = self._chat(params)
        message = self._find(chat.user["id"], int(params["message_id"]))
        text = self._text(params.get("text"))
        markup = params.get("reply_markup")
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content "
                "and reply markup are exactly the same as a current content and reply "
                "markup of the message",
            )
        message["text"] = text
        message["edit_date"] = int(time.time())
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        self._seen_change(chat, message["message_id"])
        return message

    async def m_editmessagereplymarkup(self, params: dict[str, Any], uploads: Any) -> Any:
        chat = self._chat(params)
        message = self._find(chat.user["id"], int(params["message_id"]))
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        self._seen_change(chat, message["message_id"])
        return message

    async def m_deletemessage(self, params: dict[str, Any], uploads: Any) -> Any:
        chat = self._chat(params)
        message = self._find(chat.user["id"], int(params["message_id"]))
        chat.messages.remove(message)
        if message["from"]["id"] == BOT_ID:
            chat.deleted[message["message_id"]] = self._seen_change(chat)
        return True

    async def m_answercallbackquery(self, params: dict[str, Any], uploads: Any) -> Any:
        self.callback_answers.append(params)
        chat = self.chats.get(self.pressed_by.pop(str(params.get("callback_query_id")), 0))
        if chat is not None:
            # Every answer counts as a change, so the chat knows its press was answered; it shows those with text.
            popup = {"text": params.get("text") or "", "show_alert": params.get("show_alert") in (True, "true", "True")}
            chat.popups.append({**popup, "version": self._seen_change(chat)})
        return True

    async def m_sendchataction(self, params: dict[str, Any], uploads: Any) -> Any:
        self._chat(params)
        return True

    async def m_senddocument(self, params: dict[str, Any], uploads: dict[str, tuple[bytes, str]]) -> Any:
        chat = self._chat(params)
        stored = self._file_param(params.get("document"), uploads, "document")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": stored.name,
            "file_size": len(stored.content),
        }
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        return self._outgoing(chat, params, document=document, **extra)

    async def m_sendphoto(self, params: dict[str, Any], uploads: dict[str, tuple[bytes, str]]) -> Any:
        chat = self._chat(params)
        stored = self._file_param(params.get("photo"), uploads, "photo")
        photo = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.unique_id,
                "width": 800,
                "height": 600,
                "file_size": len(stored.content),
            }
        ]
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        return self._outgoing(chat, params, photo=photo, **extra)

    async def m_getfile(self, params: dict[str, Any], uploads: Any) -> Any:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.content),
            "file_path": stored.path,
        }

    def _scope_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        key = scope["type"] + (f":{scope['chat_id']}" if "chat_id" in scope else "")
        return key, str(params.get("language_code") or "")

    async def m_setmycommands(self, params: dict[str, Any], uploads: Any) -> Any:
        commands = params.get("commands") or []
        for command in commands:
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        self.commands[self._scope_key(params)] = commands
        return True

    async def m_deletemycommands(self, params: dict[str, Any], uploads: Any) -> Any:
        self.commands.pop(self._scope_key(params), None)
        return True

    async def m_getmycommands(self, params: dict[str, Any], uploads: Any) -> Any:
        return self.commands.get(self._scope_key(params), [])

    async def m_setchatmenubutton(self, params: dict[str, Any], uploads: Any) -> Any:
        button = params.get("menu_button") or {"type": "default"}
        if button.get("type") == "web_app" and not str(button.get("web_app", {}).get("url", "")).startswith("https://"):
            raise ApiError(400, "Bad Request: WEB_APP_URL_INVALID")  # as Telegram: Mini Apps open over https only
        self.menu_buttons[int(params.get("chat_id") or 0)] = button
        return True

    # --- HTTP ------------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[bytes, str]]]:
        params: dict[str, Any] = dict(request.query)
        uploads: dict[str, tuple[bytes, str]] = {}
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                # The Bot API's forms are flat, every field named: a nested or nameless part is malformed.
                if not isinstance(part, BodyPartReader) or part.name is None:
                    raise web.HTTPBadRequest(text="Bad Request: malformed multipart form")
                if part.filename:
                    uploads[part.name] = (await part.read(), part.filename)
                else:
                    params[part.name] = await part.text()
        elif request.can_read_body:
            params.update(await request.post())
        for key in JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
        return params, uploads

    async def handle_api(self, request: web.Request) -> web.Response:
        params, uploads = await self._params(request)
        try:
            result = await self.call(request.match_info["method"], params, uploads)
        except ApiError as error:
            body: dict[str, Any] = {"ok": False, "error_code": error.code, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
            return web.json_response(body, status=error.code)
        if self.stalls and request.match_info["method"].lower().startswith("send"):
            await asyncio.sleep(self.stalls.pop(0))
        if self.drops and request.match_info["method"].lower().startswith("send") and request.transport:
            if self.drops.pop(0) == "reset":  # linger 0: the close sends RST, not FIN
                sock = request.transport.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            request.transport.close()
        return web.json_response({"ok": True, "result": result})

    async def handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.path == path:
                return web.Response(body=stored.content)
        return web.Response(status=404, text="Not Found")

    # Control endpoints, for driving the emulator from another process (`diary-bot emulator`).
    async def handle_control_send(self, request: web.Request) -> web.Response:
        """A text or a press; answers the update's id and the chat's view version before it (what the
        bot shows after that version is its answer)."""
        body = await request.json()
        user_id = int(request.match_info["user_id"])
        chat = self.chats.get(user_id)
        version = chat.version if chat else 0
        if "data" in body:
            try:
                update_id = await self.press(user_id, int(body["message_id"]), body["data"])
            except ApiError as error:  # the message with the button is gone
                return web.json_response({"error": error.description}, status=error.code)
        else:
            update_id = await self.send_text(
                user_id, body["text"], first_name=body.get("first_name"), language_code=body.get("language_code")
            )
        return web.json_response({"update_id": update_id, "version": version})

    async def handle_control_wait(self, request: web.Request) -> web.Response:
        try:
            await self.wait_processed(int(request.query["update_id"]), float(request.query.get("timeout", 10)))
        except TimeoutError:
            return web.json_response({"processed": False})
        return web.json_response({"processed": True})

    async def handle_control_chat(self, request: web.Request) -> web.Response:
        chat = self.chats.get(int(request.match_info["user_id"]))
        return web.json_response({"messages": chat.messages if chat else []})

    async def handle_control_view(self, request: web.Request) -> web.Response:
        """The person's view for `diary-bot chat`: a long poll of `watch` (after=0 gives everything)."""
        try:
            after = int(request.query.get("after", 0))
            timeout = min(float(request.query.get("timeout", 0)), 60.0)
        except ValueError:
            raise web.HTTPBadRequest(text="after and timeout are numbers") from None
        return web.json_response(await self.watch(int(request.match_info["user_id"]), after, timeout))

    async def handle_control_stats(self, request: web.Request) -> web.Response:
        span = self.last_delivered_at - self.first_delivered_at
        return web.json_response(
            {"delivered": self.delivered, "too_many": self.too_many, "span": span, "paid": self.paid}
        )

    async def handle_control_faults(self, request: web.Request) -> web.Response:
        """Faults injected from another process: the next sends' errors (`fail`: a list of [code,
        description, parameters]), or Telegram unreachable for `down` seconds."""
        body = await request.json()
        for code, description, parameters in body.get("fail", []):
            self.fail_next(int(code), str(description), **parameters)
        if body.get("down"):
            self.outage = asyncio.create_task(self.unreachable(float(body["down"])))
        return web.json_response({"ok": True})

    async def unreachable(self, seconds: float) -> None:
        """Nothing listens for `seconds` (connections are refused) and the open ones are cut, as when
        Telegram cannot be reached; then it listens again on the same address, with what it knew."""
        assert self.listening is not None
        runner, site, host, port = self.listening
        await asyncio.sleep(0.05)  # the answer to the request that asked for it goes first
        await site.stop()
        for connection in runner.server.connections if runner.server else []:
            connection.force_close()
        await asyncio.sleep(seconds)
        site = web.TCPSite(runner, host, port)
        await site.start()
        self.listening = (runner, site, host, port)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.on_shutdown.append(lambda _app: self.close())
        app.router.add_route("*", "/bot{token}/{method}", self.handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        app.router.add_post("/emulator/users/{user_id}/send", self.handle_control_send)
        app.router.add_get("/emulator/wait", self.handle_control_wait)
        app.router.add_get("/emulator/users/{user_id}/messages", self.handle_control_chat)
        app.router.add_get("/emulator/users/{user_id}/view", self.handle_control_view)
        app.router.add_get("/emulator/stats", self.handle_control_stats)
        app.router.add_post("/emulator/faults", self.handle_control_faults)
        return app


async def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 8081) -> web.AppRunner:
    # A test or a Ctrl-C should not wait a minute for long polls of a bot that is gone.
    runner = web.AppRunner(emulator.app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    emulator.listening = (runner, site, host, port)
    return runner
