"""Load generator for OpenAI-compatible servers: C concurrent streaming chat clients.

Each client sends R streaming chat completions one after another (max_tokens T, temperature 0.8,
its own seed), and the run reports, per concurrency level, aggregate generated tokens per second
(completion tokens of all requests / wall time), time to first token (request sent -> first
content chunk) and per-token latency (gaps between content chunks), p50 and p99.

Usage: serve_load.py URL --concurrency 1 4 8 16 --tokens 64 --requests 2
Prints one JSON object per concurrency level. Needs httpx or httpx2 (the openai client's dependency).
"""
import argparse
import asyncio
import json
import statistics
import time

try:
    import httpx
except ImportError:  # the openai client 3.x ships its HTTP stack as httpx2
    import httpx2 as httpx

PROMPTS = [
    "Write a long story about a dragon who learns to bake bread.",
    "Explain, step by step, how a bicycle works.",
    "Describe a walk through a busy market in the morning.",
    "Tell me about the history of the printing press in detail.",
]


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def one_request(client, url, model, tokens, seed, prompt):
    body = {
        "model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": tokens,
        "temperature": 0.8, "seed": seed, "stream": True, "stream_options": {"include_usage": True},
    }
    sent = time.perf_counter()
    first, last, gaps, chunks, usage = None, None, [], 0, None
    async with client.stream("POST", url + "/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            payload = line[len("data: "):]
            if payload == "[DONE]":
                break
            event = json.loads(payload)
            if event.get("usage"):
                usage = event["usage"]["completion_tokens"]
            choices = event.get("choices") or []
            if choices and choices[0].get("delta", {}).get("content"):
                now = time.perf_counter()
                if first is None:
                    first = now - sent
                else:
                    gaps.append(now - last)
                last = now
                chunks += 1
    return first, gaps, usage if usage is not None else chunks


async def client_loop(client, url, model, tokens, requests, index, results):
    for r in range(requests):
        prompt = PROMPTS[(index + r) % len(PROMPTS)]
        results.append(await one_request(client, url, model, tokens, 1000 * index + r, prompt))


async def level(url, model, concurrency, tokens, requests):
    limits = httpx.Limits(max_connections=concurrency + 4)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        # One warm-up request so that model loading and first-touch costs are not measured.
        await one_request(client, url, model, 8, 1, PROMPTS[0])
        results = []
        start = time.perf_counter()
        await asyncio.gather(*[
            client_loop(client, url, model, tokens, requests, i, results) for i in range(concurrency)])
        wall = time.perf_counter() - start
    generated = sum(r[2] for r in results)
    ttft = [r[0] for r in results if r[0] is not None]
    gaps = [gap for r in results for gap in r[1]]
    return {
        "concurrency": concurrency, "requests": len(results), "generated_tokens": generated,
        "wall_s": round(wall, 3), "tok_s": round(generated / wall, 2),
        "ttft_p50_ms": round(1000 * percentile(ttft, 0.5), 1), "ttft_p99_ms": round(1000 * percentile(ttft, 0.99), 1),
        "token_p50_ms": round(1000 * percentile(gaps, 0.5), 1), "token_p99_ms": round(1000 * percentile(gaps, 0.99), 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--model", default="smol")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--requests", type=int, default=2)
    args = parser.parse_args()
    for concurrency in args.concurrency:
        print(json.dumps(asyncio.run(level(args.url, args.model, concurrency, args.tokens, args.requests))), flush=True)


if __name__ == "__main__":
    main()
