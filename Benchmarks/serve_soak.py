"""Soak test for `infer-cli serve`: mixed traffic at the queue limit for a fixed time.

C clients loop over: streaming chats (a tenth of them hang up after a few chunks), whole chats,
/predict on an image, KServe metadata, and malformed or invalid requests. Every response must
be a 2xx, 4xx (400/404/413/429) or a complete stream; a 5xx, a connection error or a stream
that ends without [DONE] (when the client did not hang up) is a failure. The server's resident
memory is sampled from /proc every 10 seconds.

Usage: serve_soak.py URL --pid PID --seconds 600 --clients 16 --image PATH
Prints one JSON summary; exits 1 on any failure.
"""
import argparse
import asyncio
import base64
import collections
import json
import random
import time

try:
    import httpx
except ImportError:  # the openai client 3.x ships its HTTP stack as httpx2
    import httpx2 as httpx


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Soak:
    def __init__(self, url, image):
        self.url = url
        self.image = image
        self.statuses = collections.Counter()
        self.kinds = collections.Counter()
        self.failures = []
        self.streams_completed = 0
        self.hangups = 0

    def record(self, kind, status):
        self.kinds[kind] += 1
        self.statuses[status] += 1
        if status >= 500 or status not in (200, 400, 404, 413, 429):
            self.failures.append(f"{kind}: status {status}")

    async def stream_chat(self, client, rng):
        hang_up = rng.random() < 0.1
        body = {
            "model": "smol", "messages": [{"role": "user", "content": rng.choice(
                ["Tell me a story.", "Explain rain.", "List some animals.", "Describe a city at night."])}],
            "max_tokens": rng.randint(16, 96), "temperature": 0.8, "seed": rng.randint(0, 1 << 30), "stream": True,
        }
        async with client.stream("POST", self.url + "/v1/chat/completions", json=body) as response:
            if response.status_code != 200:
                await response.aread()
                self.record("stream", response.status_code)
                return
            chunks, done = 0, False
            async for line in response.aiter_lines():
                if line == "data: [DONE]":
                    done = True
                    break
                if line.startswith("data: "):
                    chunks += 1
                    if hang_up and chunks >= 3:
                        break
            self.record("stream", 200)
            if hang_up and not done:
                self.hangups += 1
            elif done:
                self.streams_completed += 1
            else:
                self.failures.append("a stream ended without [DONE]")

    async def whole_chat(self, client, rng):
        body = {"messages": [{"role": "user", "content": "Say something short."}], "max_tokens": 16}
        response = await client.post(self.url + "/v1/chat/completions", json=body)
        if response.status_code == 200 and not response.json()["choices"][0]["message"]["content"]:
            self.failures.append("an empty completion")
        self.record("chat", response.status_code)

    async def predict(self, client, rng):
        response = await client.post(self.url + "/predict", json={"model": "nsfw", "image": self.image, "top_k": 2})
        if response.status_code == 200 and len(response.json()["labels"]) != 2:
            self.failures.append("/predict without two labels")
        self.record("predict", response.status_code)

    async def metadata(self, client, rng):
        response = await client.get(self.url + rng.choice(["/v2/models/nsfw", "/v1/models", "/health", "/metrics"]))
        self.record("metadata", response.status_code)

    async def bad(self, client, rng):
        choice = rng.randrange(6)
        path = self.url + "/v1/chat/completions"
        if choice == 0:
            response = await client.post(path, content=b"{not json")
        elif choice == 1:
            response = await client.post(path, json={"messages": "nope"})
        elif choice == 2:
            response = await client.post(path, json={"model": "missing", "messages": [{"role": "user", "content": "x"}]})
        elif choice == 3:
            response = await client.post(path, json={"messages": [{"role": "user", "content": "x"}], "n": 3})
        elif choice == 4:
            response = await client.post(self.url + "/predict", json={"input": [1.0, 2.0]})
        else:
            response = await client.post(path, content=b"[" * 5000)
        self.record("bad", response.status_code)

    async def client(self, index, deadline):
        rng = random.Random(index)
        actions = [self.stream_chat] * 4 + [self.whole_chat] * 2 + [self.predict] * 2 + [self.metadata, self.bad] * 1
        async with httpx.AsyncClient(timeout=300) as client:
            while time.monotonic() < deadline:
                action = rng.choice(actions)
                refused = self.statuses[429]
                try:
                    await action(client, rng)
                except Exception as error:  # a connection error is a failure
                    self.failures.append(f"{action.__name__}: {type(error).__name__}: {error}")
                if self.statuses[429] > refused:  # refused: back off, as clients honouring Retry-After do
                    await asyncio.sleep(0.2)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--image", required=True)
    args = parser.parse_args()
    with open(args.image, "rb") as file:
        image = base64.b64encode(file.read()).decode()
    soak = Soak(args.url, image)
    samples = [rss_mb(args.pid)]
    deadline = time.monotonic() + args.seconds

    async def sample():
        while time.monotonic() < deadline:
            await asyncio.sleep(10)
            samples.append(rss_mb(args.pid))

    start = time.monotonic()
    await asyncio.gather(sample(), *[soak.client(i, deadline) for i in range(args.clients)])
    summary = {
        "seconds": round(time.monotonic() - start, 1), "requests": sum(soak.kinds.values()),
        "by_kind": dict(soak.kinds), "by_status": {str(k): v for k, v in sorted(soak.statuses.items())},
        "streams_completed": soak.streams_completed, "hangups": soak.hangups,
        "rss_mb_start": round(samples[0], 1), "rss_mb_after_first_minute": round(samples[min(6, len(samples) - 1)], 1),
        "rss_mb_end": round(samples[-1], 1), "rss_mb_max": round(max(samples), 1),
        "rss_mb_samples": [round(s) for s in samples], "failures": soak.failures[:20], "failure_count": len(soak.failures),
    }
    print(json.dumps(summary))
    return 1 if soak.failures else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
