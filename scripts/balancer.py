"""A small HTTP load balancer with failover, for trying the replicas on one machine.

    python -m scripts.balancer --listen 127.0.0.1:5056 --backend http://127.0.0.1:5055 --backend http://127.0.0.1:5057

What nginx or HAProxy does in a deployment, just enough for the scale-out tests, ``make
chaos`` and ``make load``: requests go to the backends in turn; a backend that refuses the
connection or drops it before answering is skipped for a while (``--down-for``) and the
request is sent to the next one. So when an action server (or a Rasa replica) is killed,
the turns that would have gone to it are served by the other.

A request that was already being handled when its backend died is sent again to the next
backend: the request may then have run twice (an action server's sign-up is safe to repeat:
it finds ``already`` — see docs/scale.md). Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import ClientError, ClientSession, ClientTimeout, web

log = logging.getLogger("scripts.balancer")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


@dataclass
class Backend:
    url: str
    down_until: float = 0.0
    served: int = 0
    failed: int = 0
    in_flight: int = 0


@dataclass
class Balancer:
    backends: list[Backend]
    down_for: float = 5.0
    timeout: float = 120.0
    _turn: itertools.count = field(default_factory=itertools.count)
    _session: ClientSession | None = None

    def _order(self) -> list[Backend]:
        start = next(self._turn) % len(self.backends)
        ordered = self.backends[start:] + self.backends[:start]
        now = time.monotonic()
        up = [b for b in ordered if b.down_until <= now]
        return up + [b for b in ordered if b.down_until > now]  # all down: try them anyway

    async def handle(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        last_error = "no backend"
        for backend in self._order():
            url = backend.url + request.rel_url.path_qs
            backend.in_flight += 1
            try:
                async with self._session.request(request.method, url, data=body, headers=headers) as response:
                    payload = await response.read()
                    backend.served += 1
                    out = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
                    return web.Response(status=response.status, body=payload, headers=out)
            except (ClientError, asyncio.TimeoutError, OSError) as exc:
                backend.failed += 1
                backend.down_until = time.monotonic() + self.down_for
                last_error = f"{backend.url}: {type(exc).__name__}"
                log.warning("Backend %s failed (%s); trying the next one", backend.url, type(exc).__name__)
            finally:
                backend.in_flight -= 1
        return web.Response(status=502, text=f"all backends failed ({last_error})")

    async def status(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        return web.json_response(
            [
                {"url": b.url, "served": b.served, "failed": b.failed, "in_flight": b.in_flight}
                | {"up": b.down_until <= now}
                for b in self.backends
            ]
        )

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/_balancer", self.status)
        app.router.add_route("*", "/{tail:.*}", self.handle)

        async def session(_app: web.Application) -> AsyncIterator[None]:
            self._session = ClientSession(timeout=ClientTimeout(total=self.timeout))
            yield
            await self._session.close()

        app.cleanup_ctx.append(session)
        return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="本机测试用的负载均衡（轮询、故障切换）")
    parser.add_argument("--listen", required=True, help="127.0.0.1:端口")
    parser.add_argument("--backend", action="append", required=True, help="http://127.0.0.1:端口（可多个）")
    parser.add_argument("--down-for", type=float, default=5.0, help="a failed backend is skipped this long (s)")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    if host not in ("127.0.0.1", "localhost") or not all(b.startswith("http://127.0.0.1:") for b in args.backend):
        parser.error("loopback addresses only")
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    balancer = Balancer([Backend(b.rstrip("/")) for b in args.backend], args.down_for, args.timeout)
    web.run_app(balancer.app(), host=host, port=int(port), access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
