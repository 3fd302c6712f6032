"""Drives `infer-cli serve` with the official OpenAI Python client, unmodified.

Usage: openai_client.py BASE_URL QUESTION. Prints a JSON object of what came back, for
ServerTests.testOpenAIPythonClient to compare with `infer-cli generate`.
"""
import json
import sys

import openai

base_url, question = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)
messages = [{"role": "user", "content": question}]
result = {}

reply = client.chat.completions.create(model="smol", messages=messages, max_tokens=32, temperature=0)
result["chat"] = reply.choices[0].message.content
result["finish_reason"] = reply.choices[0].finish_reason
assert reply.usage.completion_tokens == 32, reply.usage

pieces, usage = [], None
stream = client.chat.completions.create(
    model="smol", messages=messages, max_tokens=32, temperature=0, stream=True,
    stream_options={"include_usage": True})
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append(chunk.choices[0].delta.content)
    if chunk.usage is not None:
        usage = chunk.usage.completion_tokens
result["streamed"] = "".join(pieces)
result["stream_usage"] = usage

result["models"] = [model.id for model in client.models.list()]
embedded = client.embeddings.create(model="minilm", input=["a cat sits on the mat", "the stock market fell"])
result["embeddings"] = [item.embedding for item in embedded.data]
result["embedding_tokens"] = embedded.usage.prompt_tokens
completion = client.completions.create(
    model="smol", prompt="The capital of France is", max_tokens=16, temperature=0)
result["completion"] = completion.choices[0].text

try:
    client.chat.completions.create(model="smol", messages=messages, n=2)
except openai.BadRequestError as error:
    result["bad_request"] = error.status_code
try:
    client.chat.completions.create(model="no-such-model", messages=messages)
except openai.NotFoundError as error:
    result["not_found"] = error.status_code

print(json.dumps(result))
