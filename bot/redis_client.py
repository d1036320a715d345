"""The one way a process connects to Redis (the gate, the limiter, the conversations' storage).

A connection in the pool outlives a Redis restart on the client's side only: its first command after
the restart fails with "connection closed". Without a retry that failure reached the person (the
first updates after Redis came back were answered "try again in a minute") though Redis answered
again. So a command that meets a dead connection reconnects and goes again, twice at most, quickly;
while Redis is really away (refused) the error still comes within a fraction of a second. A timeout
is not tried again: three of them would hold an update for fifteen seconds.
"""

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError

TIMEOUT = 5  # seconds for a connection, and for an answer


def connect(url: str) -> Redis:
    return Redis.from_url(
        url,
        socket_timeout=TIMEOUT,
        socket_connect_timeout=TIMEOUT,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2, supported_errors=(ConnectionError,)),
    )
