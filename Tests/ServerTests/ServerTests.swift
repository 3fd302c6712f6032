import AsyncHTTPClient
import Foundation
import NIOHTTP1
import OnnxLoader
import TensorCore
import TestSupport
import Tokenizers
import XCTest

/// `infer-cli serve` driven over real loopback sockets: every route, streaming and not, the
/// error statuses, cancellation on disconnect, continuous batching and graceful shutdown, with
/// outputs compared to the CLI's.
final class ServerTests: XCTestCase {
    static let smol = FixturePaths.path("models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    static let nsfw = FixturePaths.path("models/opennsfw/open-nsfw.onnx")
    static let nsfwInput = FixturePaths.path("models/opennsfw/test_data_set_0/input_0.pb")
    static let chelsea = FixturePaths.path("models/images/chelsea.png")
    static let minilm = FixturePaths.path("models/all-minilm-l6-v2")
    static let question = "What is the capital of France?"

    /// The server most tests share (SmolLM2 and open-nsfw), started once.
    nonisolated(unsafe) private static var shared: ServerProcess?

    private func sharedServer() async throws -> ServerProcess {
        for path in [ServerTests.smol, ServerTests.nsfw, ServerTests.chelsea, ServerTests.minilm]
        where !FileManager.default.fileExists(atPath: path) {
            throw XCTSkip("run Fixtures/fetch.sh first (\(path) is missing)")
        }
        if let server = ServerTests.shared { return server }
        let server = try await ServerProcess([
            "--model", "smol=\(ServerTests.smol)", "--model", "nsfw=\(ServerTests.nsfw)",
            "--model", "minilm=\(ServerTests.minilm)",
        ])
        ServerTests.shared = server
        return server
    }

    override class func tearDown() {
        if let server = shared { XCTAssertEqual(server.stop(), 0, "SIGTERM ends serve with status 0") }
        shared = nil
        super.tearDown()
    }

    /// Greedy text from `infer-cli generate` (without its final newline).
    private func cliGreedy(_ prompt: String, tokens: Int, chat: Bool) throws -> String {
        var arguments = ["generate", "--model", ServerTests.smol, "--prompt", prompt, "-n", "\(tokens)", "--temp", "0"]
        if chat { arguments.append("--chat") }
        let result = try runCLI(arguments)
        XCTAssertEqual(result.status, 0)
        return result.stdout.hasSuffix("\n") ? String(result.stdout.dropLast()) : result.stdout
    }

    private func chat(_ text: String, tokens: Int, extra: [String: Any] = [:]) -> [String: Any] {
        ServerTests.chat(text, tokens: tokens, extra: extra)
    }

    /// A greedy chat request body for the shared model.
    static func chat(_ text: String, tokens: Int, extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = [
            "model": "smol", "messages": [["role": "user", "content": text]], "max_tokens": tokens, "temperature": 0,
        ]
        body.merge(extra) { $1 }
        return body
    }

    func testModelsHealthAndMetrics() async throws {
        let server = try await sharedServer()
        for path in ["/health", "/healthz", "/readyz", "/v2/health/ready", "/v2/health/live"] {
            let reply = try await server.get(path)
            XCTAssertEqual(reply.status, .ok, path)
        }
        let models = try await server.get("/v1/models")
        XCTAssertEqual(models.json["object"] as? String, "list")
        let ids = (models.json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        XCTAssertEqual(ids, ["smol", "nsfw", "minilm"])
        _ = try await server.post("/v1/chat/completions", json: chat("Hi", tokens: 4))
        let metrics = String(decoding: try await server.get("/metrics").body, as: UTF8.self)
        for name in [
            "infer_requests_total", "infer_request_duration_seconds_bucket", "infer_requests_cancelled_total",
            "infer_queue_depth", "infer_active_sequences", "infer_prompt_tokens_total", "infer_generated_tokens_total",
            "infer_time_to_first_token_seconds_bucket", "infer_inference_duration_seconds_bucket",
        ] {
            XCTAssertTrue(metrics.contains(name), "/metrics lacks \(name)")
        }
        XCTAssertTrue(metrics.contains("infer_requests_total{route=\"/v1/chat/completions\",status=\"200\"}"), metrics)
        XCTAssertTrue(server.stderr.contains("POST /v1/chat/completions 200 "), "one log line per request")
    }

    /// Greedy chat through the server, whole and streamed, equals `infer-cli generate --chat
    /// --temp 0`; text completions equal `generate` on the raw prompt.
    func testGreedyCompletionsEqualTheCLI() async throws {
        let server = try await sharedServer()
        let expected = try cliGreedy(ServerTests.question, tokens: 32, chat: true)
        let whole = try await server.post("/v1/chat/completions", json: chat(ServerTests.question, tokens: 32))
        XCTAssertEqual(whole.status, .ok)
        XCTAssertEqual(whole.json["object"] as? String, "chat.completion")
        let choice = (whole.json["choices"] as? [[String: Any]])?.first
        XCTAssertEqual((choice?["message"] as? [String: Any])?["content"] as? String, expected)
        XCTAssertEqual(choice?["finish_reason"] as? String, "length")
        let usage = whole.json["usage"] as? [String: Any]
        XCTAssertEqual(usage?["completion_tokens"] as? Int, 32)
        XCTAssertEqual(
            (usage?["prompt_tokens"] as? Int).map { $0 + 32 }, usage?["total_tokens"] as? Int)

        let response = try await server.stream(
            "/v1/chat/completions",
            json: chat(
                ServerTests.question, tokens: 32, extra: ["stream": true, "stream_options": ["include_usage": true]]))
        XCTAssertEqual(response.headers.first(name: "content-type"), "text/event-stream")
        var reader = EventReader(response)
        let events = try await reader.rest()
        XCTAssertTrue(reader.done, "the stream ends with data: [DONE]")
        XCTAssertEqual(events.map(deltaText).joined(), expected)
        XCTAssertTrue(events.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        let first = (events.first?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]
        XCTAssertEqual(first?["role"] as? String, "assistant")
        let finishing = events.dropLast().last.flatMap { ($0["choices"] as? [[String: Any]])?.first }
        XCTAssertEqual(finishing?["finish_reason"] as? String, "length")
        XCTAssertEqual((events.last?["choices"] as? [Any])?.count, 0, "the usage chunk has no choices")
        XCTAssertEqual((events.last?["usage"] as? [String: Any])?["completion_tokens"] as? Int, 32)

        let prompt = "The capital of France is"
        let expectedText = try cliGreedy(prompt, tokens: 16, chat: false)
        let text = try await server.post(
            "/v1/completions", json: ["model": "smol", "prompt": prompt, "max_tokens": 16, "temperature": 0])
        XCTAssertEqual(text.json["object"] as? String, "text_completion")
        XCTAssertEqual((text.json["choices"] as? [[String: Any]])?.first?["text"] as? String, expectedText)
        let streamed = try await server.stream(
            "/v1/completions", json: ["prompt": prompt, "max_tokens": 16, "temperature": 0, "stream": true])
        var textReader = EventReader(streamed)
        let streamedText = try await textReader.rest().map(deltaText).joined()
        XCTAssertEqual(streamedText, expectedText)

        // A stop string ends the text before it, with finish_reason "stop".
        let cut = String(expected.prefix(12).dropFirst(4))
        let stopped = try await server.post(
            "/v1/chat/completions", json: chat(ServerTests.question, tokens: 32, extra: ["stop": [cut]]))
        let stoppedChoice = (stopped.json["choices"] as? [[String: Any]])?.first
        XCTAssertEqual(stoppedChoice?["finish_reason"] as? String, "stop")
        XCTAssertEqual(
            (stoppedChoice?["message"] as? [String: Any])?["content"] as? String,
            String(expected[..<expected.range(of: cut)!.lowerBound]))
    }

    /// Eight greedy chats at once (continuous batching) give the tokens each gives alone.
    func testConcurrentStreamsEqualSequentialOnes() async throws {
        let server = try await sharedServer()
        let prompts = [
            "Name a colour.", "What is two plus two?", "Say hello in French.", "Name a planet.",
            "What is the opposite of hot?", "Give me a fruit.", "Write one word about the sea.", "Count to three.",
        ]
        var alone: [String] = []
        for prompt in prompts {
            let reply = try await server.post("/v1/chat/completions", json: chat(prompt, tokens: 24))
            alone.append(
                ((reply.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"]
                    as? String ?? "")
        }
        let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, prompt) in prompts.enumerated() {
                group.addTask {
                    let response = try await server.stream(
                        "/v1/chat/completions", json: ServerTests.chat(prompt, tokens: 24, extra: ["stream": true]))
                    var reader = EventReader(response)
                    return (index, try await reader.rest().map(deltaText).joined())
                }
            }
            var texts = Array(repeating: "", count: prompts.count)
            for try await (index, text) in group { texts[index] = text }
            return texts
        }
        XCTAssertEqual(together, alone)
        XCTAssertEqual(alone[0], try cliGreedy(prompts[0], tokens: 24, chat: true))
    }

    /// `/predict` with the model's input equals `infer-cli run`; KServe's infer gives the same;
    /// `"image"` classifies as `infer-cli classify`.
    func testPredictAndKServeEqualTheCLI() async throws {
        let server = try await sharedServer()
        let run = try runCLI(["run", ServerTests.nsfw, ServerTests.nsfwInput])
        XCTAssertEqual(run.status, 0)
        let expected = try XCTUnwrap(
            (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String: Any]])?["outputs"])
        let expectedData = try XCTUnwrap(expected["data"] as? [Double]).map { Float($0) }
        let input = try TensorFile.read(path: ServerTests.nsfwInput).tensor
        let values = try input.cast(to: .float32).scalars(as: Float.self)

        let predict = try await server.post("/predict", json: ["model": "nsfw", "input": values.map { Double($0) }])
        XCTAssertEqual(predict.status, .ok, String(decoding: predict.body, as: UTF8.self))
        XCTAssertEqual((predict.json["output"] as? [Double])?.map { Float($0) }, expectedData)
        XCTAssertEqual(predict.json["shape"] as? [Int], expected["shape"] as? [Int])
        XCTAssertEqual(predict.json["batch_size"] as? Int, 1)
        XCTAssertNotNil(predict.json["inference_time_ms"] as? Double)

        let infer = try await server.post(
            "/v2/models/nsfw/infer",
            json: [
                "id": "r1",
                "inputs": [
                    ["name": "input:0", "shape": input.shape, "datatype": "FP32", "data": values.map { Double($0) }]
                ],
            ])
        XCTAssertEqual(infer.status, .ok, String(decoding: infer.body, as: UTF8.self))
        XCTAssertEqual(infer.json["id"] as? String, "r1")
        let output = (infer.json["outputs"] as? [[String: Any]])?.first
        XCTAssertEqual(output?["name"] as? String, "outputs")
        XCTAssertEqual(output?["datatype"] as? String, "FP32")
        XCTAssertEqual((output?["data"] as? [Double])?.map { Float($0) }, expectedData)

        let metadata = try await server.get("/v2/models/nsfw")
        XCTAssertEqual(metadata.json["platform"] as? String, "onnx")
        XCTAssertEqual(((metadata.json["inputs"] as? [[String: Any]])?.first)?["shape"] as? [Int], [-1, 224, 224, 3])
        let info = try await server.get("/model/info")
        XCTAssertEqual((info.json["outputs"] as? [[String: Any]])?.first?["name"] as? String, "outputs")

        let classify = try runCLI([
            "classify", "--model", ServerTests.nsfw, ServerTests.chelsea, "--json", "--top-k", "2",
        ])
        let expectedLabels = try XCTUnwrap(
            (try JSONSerialization.jsonObject(with: Data(classify.stdout.utf8)) as? [String: Any])?["top_k"]
                as? [[String: Any]])
        let image = try Data(contentsOf: URL(fileURLWithPath: ServerTests.chelsea)).base64EncodedString()
        let labels = try await server.post("/predict", json: ["model": "nsfw", "image": image, "top_k": 2])
        let got = try XCTUnwrap(labels.json["labels"] as? [[String: Any]])
        XCTAssertEqual(got.map { $0["index"] as? Int }, expectedLabels.map { $0["index"] as? Int })
        XCTAssertEqual(
            got.map { ($0["probability"] as? Double).map { Float($0) } },
            expectedLabels.map { ($0["probability"] as? Double).map { Float($0) } })
    }

    /// `/tokenize` and `/detokenize` (llama-server's shapes) agree with the model's tokenizer.
    func testTokenizeAndDetokenize() async throws {
        let server = try await sharedServer()
        let tokenizer = try Tokenizer(path: ServerTests.smol)
        let text = "Hello, world! Ünïcödé 日本"
        let expected = tokenizer.encode(text, addSpecialTokens: false).ids
        let reply = try await server.post("/tokenize", json: ["content": text])
        XCTAssertEqual(reply.json["tokens"] as? [Int], expected)
        let pieces = try await server.post("/tokenize", json: ["content": "Hello world", "with_pieces": true])
        XCTAssertEqual(
            (pieces.json["tokens"] as? [[String: Any]])?.compactMap { $0["piece"] as? String }, ["Hello", " world"])
        let back = try await server.post("/detokenize", json: ["tokens": expected])
        XCTAssertEqual(back.json["content"] as? String, text)
        let bad = try await server.post("/detokenize", json: ["tokens": [1, -5]])
        XCTAssertEqual(bad.status, .badRequest)
        XCTAssertEqual(bad.error?.param, "tokens[1]")
    }

    /// Every client error gets its status and OpenAI's error shape, naming the field at fault.
    func testErrorStatuses() async throws {
        let server = try await sharedServer()
        func expect(
            _ status: HTTPResponseStatus, _ reply: ServerProcess.Reply, param: String? = nil, mentions: String? = nil,
            line: UInt = #line
        ) {
            XCTAssertEqual(reply.status, status, String(decoding: reply.body, as: UTF8.self), line: line)
            guard let error = reply.error else {
                return XCTFail("not an OpenAI error: \(String(decoding: reply.body, as: UTF8.self))", line: line)
            }
            if let param { XCTAssertEqual(error.param, param, error.message, line: line) }
            if let mentions { XCTAssertTrue(error.message.contains(mentions), error.message, line: line) }
        }
        let user = [["role": "user", "content": "Hi"]]
        expect(.badRequest, try await server.send("POST", "/v1/chat/completions", body: Data("{not json".utf8)))
        expect(.badRequest, try await server.send("POST", "/v1/chat/completions", body: Data()))
        expect(.badRequest, try await server.post("/v1/chat/completions", json: ["messages": "Hi"]), param: "messages")
        expect(.badRequest, try await server.post("/v1/chat/completions", json: [:]), param: "messages")
        expect(
            .badRequest, try await server.post("/v1/chat/completions", json: ["messages": user, "max_tokens": "many"]),
            param: "max_tokens")
        expect(
            .badRequest, try await server.post("/v1/chat/completions", json: ["messages": user, "temperature": true]),
            param: "temperature")
        expect(
            .badRequest,
            try await server.post("/v1/chat/completions", json: ["messages": [["role": "robot", "content": "x"]]]),
            param: "messages[0].role")
        expect(
            .badRequest,
            try await server.post("/v1/chat/completions", json: ["messages": [["role": "user", "content": 5]]]),
            param: "messages[0].content")
        expect(
            .badRequest, try await server.post("/v1/chat/completions", json: ["messages": user, "n": 2]), param: "n")
        expect(
            .badRequest, try await server.post("/v1/chat/completions", json: ["messages": user, "logprobs": true]),
            param: "logprobs")
        expect(
            .badRequest,
            try await server.post(
                "/v1/chat/completions",
                json: ["messages": user, "tools": [["type": "function", "function": ["name": "f"]]]]),
            param: "tools")
        expect(
            .badRequest, try await server.post("/v1/chat/completions", json: ["messages": user, "top_p": 3]),
            param: "top_p")
        expect(
            .badRequest, try await server.post("/v1/chat/completions", json: ["messages": user, "max_tokens": -1]),
            param: "max_tokens")
        expect(
            .badRequest, try await server.post("/v1/completions", json: ["prompt": ["a", "b"]]), param: "prompt")
        let deep = String(repeating: "[", count: 100_000)
        expect(.badRequest, try await server.send("POST", "/v1/chat/completions", body: Data(deep.utf8)))
        expect(.badRequest, try await server.post("/predict", json: ["input": [1, 2, 3]]), param: "input")
        expect(.badRequest, try await server.post("/predict", json: ["image": "not base64!!"]), param: "image")
        expect(
            .badRequest,
            try await server.post(
                "/v2/models/nsfw/infer",
                json: ["inputs": [["name": "x", "shape": [1], "datatype": "FP32", "data": [1]]]]),
            param: "inputs[0].name")
        expect(
            .badRequest,
            try await server.post(
                "/v2/models/nsfw/infer",
                json: ["inputs": [["name": "input:0", "shape": [1, 2], "datatype": "FP32", "data": [1]]]]),
            param: "inputs[0].data")

        expect(
            .notFound, try await server.post("/v1/chat/completions", json: ["model": "nope", "messages": user]),
            param: "model")
        expect(.notFound, try await server.post("/v2/models/nope/infer", json: ["inputs": []]), param: "model")
        expect(.notFound, try await server.get("/no/such/route"))

        let huge = Data(count: 9 << 20)
        expect(.payloadTooLarge, try await server.send("POST", "/v1/chat/completions", body: huge))

        // The server is still healthy after all of that.
        let health = try await server.get("/health")
        XCTAssertEqual(health.status, .ok)
    }

    /// A client that goes away mid-stream cancels its sequence: the slot is freed and the
    /// cancelled counter shows it.
    func testDisconnectCancelsTheSequence() async throws {
        let server = try await sharedServer()
        let before = try await server.metric("infer_requests_cancelled_total") ?? 0
        let task = Task {
            let response = try await server.stream(
                "/v1/chat/completions",
                json: ServerTests.chat("Tell me a very long story.", tokens: 2000, extra: ["stream": true]))
            var reader = EventReader(response)
            while try await reader.next() != nil {}
        }
        try await Task.sleep(for: .milliseconds(800))
        let active = try await server.metric("infer_active_sequences{model=\"smol\"}")
        XCTAssertEqual(active, 1)
        task.cancel()
        var cancelled = before
        for _ in 0..<100 where cancelled == before {
            try await Task.sleep(for: .milliseconds(100))
            cancelled = try await server.metric("infer_requests_cancelled_total") ?? 0
        }
        XCTAssertEqual(cancelled, before + 1)
        let after = try await server.metric("infer_active_sequences{model=\"smol\"}")
        XCTAssertEqual(after, 0)
    }

    /// With `--api-key` (or `--api-key-file`), routes but the health probes need the bearer key
    /// (401 otherwise).
    func testAPIKey() async throws {
        let model = try TinyModelFile.write()
        let server = try await ServerProcess(["--model", "tiny=\(model)", "--api-key", "sesame"])
        let health = try await server.get("/health")
        XCTAssertEqual(health.status, .ok)
        for headers in [[], [("Authorization", "Bearer wrong")], [("Authorization", "sesame")]] {
            let reply = try await server.get("/v1/models", headers: headers)
            XCTAssertEqual(reply.status, .unauthorized)
            XCTAssertEqual(reply.error?.type, "authentication_error")
        }
        let metrics = try await server.get("/metrics")
        XCTAssertEqual(metrics.status, .unauthorized)
        let allowed = try await server.get("/v1/models", headers: [("Authorization", "Bearer sesame")])
        XCTAssertEqual(allowed.status, .ok)
        XCTAssertEqual(server.stop(), 0)

        // --api-key-file: one key per line, any of them accepted.
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("infer-api-keys-\(getpid())").path
        try "first-key\n\n  second-key  \n".write(toFile: keys, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let fileServer = try await ServerProcess(["--model", "tiny=\(model)", "--api-key-file", keys])
        for key in ["first-key", "second-key"] {
            let reply = try await fileServer.get("/v1/models", headers: [("Authorization", "Bearer \(key)")])
            XCTAssertEqual(reply.status, .ok, key)
        }
        let refused = try await fileServer.get("/v1/models", headers: [("Authorization", "Bearer sesame")])
        XCTAssertEqual(refused.status, .unauthorized)
        XCTAssertEqual(fileServer.stop(), 0)
    }

    /// With every slot busy and the queue full, a request gets 429 with Retry-After.
    func testFullQueueAnswers429() async throws {
        _ = try await sharedServer()
        let server = try await ServerProcess(["--model", "smol=\(ServerTests.smol)", "--parallel", "1", "--queue", "0"])
        let response = try await server.stream(
            "/v1/chat/completions", json: chat("Tell me a very long story.", tokens: 2000, extra: ["stream": true]))
        var reader = EventReader(response)
        _ = try await reader.next()
        let refused = try await server.post("/v1/chat/completions", json: chat("Hi", tokens: 4))
        XCTAssertEqual(refused.status, .tooManyRequests)
        XCTAssertEqual(refused.error?.type, "rate_limit_error")
        XCTAssertEqual(refused.headers.first(name: "retry-after"), "1")
        XCTAssertEqual(server.stop(), 0)
    }

    /// SIGTERM ends a stream in flight with a finish chunk and [DONE], and serve exits 0.
    func testGracefulShutdownEndsStreams() async throws {
        _ = try await sharedServer()
        let server = try await ServerProcess(["--model", "smol=\(ServerTests.smol)"])
        let response = try await server.stream(
            "/v1/chat/completions", json: chat("Tell me a very long story.", tokens: 2000, extra: ["stream": true]))
        var reader = EventReader(response)
        _ = try await reader.next()
        kill(server.process.processIdentifier, SIGTERM)
        let events = try await reader.rest()
        XCTAssertTrue(reader.done, "the stream ends with [DONE]")
        let finish = events.last.flatMap { ($0["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String }
        XCTAssertEqual(finish, "length")
        XCTAssertEqual(server.stop(), 0)
    }

    /// The official `openai` Python client, unmodified, against the server.
    /// `embed`'s vectors for `texts` (float32, as the CLI prints them) and its token total.
    private func cliEmbeddings(_ texts: [String]) throws -> (vectors: [[Float]], tokens: Int) {
        let result = try runCLI(["embed", "--model", ServerTests.minilm] + texts.flatMap { ["--text", $0] })
        XCTAssertEqual(result.status, 0)
        var tokens = 0
        let vectors = try result.stdout.split(separator: "\n").map { line in
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            tokens += try XCTUnwrap(object["tokens"] as? Int)
            return try XCTUnwrap(object["embedding"] as? [Double]).map { Float($0) }
        }
        return (vectors, tokens)
    }

    func testEmbeddingsEqualTheCLI() async throws {
        let server = try await sharedServer()
        let texts = ["a cat sits on the mat", "", "日本語のテキスト"]
        let (expected, tokens) = try cliEmbeddings(texts)
        let floats = try await server.post("/v1/embeddings", json: ["model": "minilm", "input": texts])
        XCTAssertEqual(floats.status, .ok, String(decoding: floats.body, as: UTF8.self))
        let object = floats.json
        let data = try XCTUnwrap(object["data"] as? [[String: Any]])
        XCTAssertEqual(data.map { $0["index"] as? Int }, [0, 1, 2])
        XCTAssertEqual(try data.map { try XCTUnwrap($0["embedding"] as? [Double]).map { Float($0) } }, expected)
        XCTAssertEqual(object["model"] as? String, "minilm")
        let usage = try XCTUnwrap(object["usage"] as? [String: Any])
        XCTAssertEqual(usage["prompt_tokens"] as? Int, tokens)
        XCTAssertEqual(usage["total_tokens"] as? Int, tokens)
        // base64: little-endian float32 bytes, the same values.
        let encoded = try await server.post(
            "/v1/embeddings", json: ["input": "a cat sits on the mat", "encoding_format": "base64"])
        XCTAssertEqual(encoded.status, .ok, String(decoding: encoded.body, as: UTF8.self))
        let item = try XCTUnwrap((encoded.json["data"] as? [[String: Any]])?.first)
        let bytes = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(item["embedding"] as? String)))
        let values = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual(values, expected[0])
        for (body, status, field) in [
            (["model": "minilm", "input": texts, "encoding_format": "hex"], 400, "encoding_format"),
            (["model": "minilm", "input": texts, "dimensions": 128], 400, "dimensions"),
            (["model": "minilm", "input": [String]()], 400, "input"),
            (["model": "minilm", "input": 12], 400, "input"),
            (["model": "smol", "input": "x"], 404, nil),
        ] as [([String: Any], Int, String?)] {
            let reply = try await server.post("/v1/embeddings", json: body)
            XCTAssertEqual(Int(reply.status.code), status, "\(body): \(String(decoding: reply.body, as: UTF8.self))")
            if let field { XCTAssertEqual(reply.error?.param, field, "\(body)") }
        }
    }

    func testOpenAIPythonClient() async throws {
        let server = try await sharedServer()
        let site =
            ProcessInfo.processInfo.environment["INFER_OPENAI_SITE"]
            ?? (NSHomeDirectory() + "/.cache/infer/python-openai-3.63.0")
        guard FileManager.default.fileExists(atPath: site + "/openai") else {
            throw XCTSkip("run Fixtures/fetch.sh openai first (the openai client is not at \(site))")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3",
            FixturePaths.root.deletingLastPathComponent().appendingPathComponent(
                "Tests/ServerTests/openai_client.py"
            ).path, server.base + "/v1", ServerTests.question,
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(["PYTHONPATH": site]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, String(decoding: errors, as: UTF8.self))
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        let expected = try cliGreedy(ServerTests.question, tokens: 32, chat: true)
        XCTAssertEqual(result["chat"] as? String, expected)
        XCTAssertEqual(result["streamed"] as? String, expected)
        XCTAssertEqual(result["stream_usage"] as? Int, 32)
        XCTAssertEqual(result["finish_reason"] as? String, "length")
        XCTAssertEqual(result["models"] as? [String], ["smol", "nsfw", "minilm"])
        let embeddings = try XCTUnwrap(result["embeddings"] as? [[Double]]).map { $0.map { Float($0) } }
        let expectedEmbeddings = try cliEmbeddings(["a cat sits on the mat", "the stock market fell"])
        XCTAssertEqual(embeddings, expectedEmbeddings.vectors)
        XCTAssertEqual(result["embedding_tokens"] as? Int, expectedEmbeddings.tokens)
        XCTAssertEqual(
            result["completion"] as? String, try cliGreedy("The capital of France is", tokens: 16, chat: false))
        XCTAssertEqual(result["bad_request"] as? Int, 400)
        XCTAssertEqual(result["not_found"] as? Int, 404)
    }
}
