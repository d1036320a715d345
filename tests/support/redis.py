"""The Redis the tests use (TEST_REDIS_URL), and a namespace of its own for a test, removed afterwards."""

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@asynccontextmanager
async def redis_namespace(stem: str = "diary-test") -> AsyncIterator[str]:
    """A fresh key prefix in the tests' Redis; the test is skipped where no Redis answers."""
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except Exception:
        await redis.aclose()
        pytest.skip(f"no Redis answers at {REDIS_URL} (TEST_REDIS_URL)")
    namespace = f"{stem}-{secrets.token_hex(4)}"
    try:
        yield namespace
    finally:
        keys = [key async for key in redis.scan_iter(f"{namespace}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
