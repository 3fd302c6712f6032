import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import XCTest

/// The built `infer-cli` next to the test bundle.
let cliBinary = Bundle.main.bundleURL.appendingPathComponent("infer-cli")

/// Runs `infer-cli` to completion and returns its exit status and stdout.
func runCLI(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
    let process = Process()
    process.executableURL = cliBinary
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self))
}

/// A real `infer-cli serve` process on a free loopback port, driven over HTTP as clients drive it.
// @unchecked Sendable: `process` is only signalled, polled and waited on (Foundation's Process is
// thread-safe for those); `port` is immutable; the log is behind its own mutex.
final class ServerProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    private let log = ServerLog()

    /// Starts `infer-cli serve ARGUMENTS --host 127.0.0.1 --port 0` and waits until `/health`
    /// answers 200 (the models loaded).
    init(_ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = cliBinary
        process.arguments = ["serve"] + arguments + ["--host", "127.0.0.1", "--port", "0"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let log = self.log
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            log.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        self.process = process
        var port: Int?
        for _ in 0..<600 where port == nil {
            if let line = log.text.withLock({ $0 }).split(separator: "\n").first(where: {
                $0.hasPrefix("listening on ")
            }),
                let text = line.split(separator: ":").last
            {
                port = Int(text)
            } else if !process.isRunning {
                throw XCTSkip("serve exited with \(process.terminationStatus): \(log.text.withLock { $0 })")
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        guard let port else { throw ServerTestError("serve did not report its port: \(log.text.withLock { $0 })") }
        self.port = port
        for _ in 0..<600 {
            if let response = try? await get("/health"), response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServerTestError("serve never became ready: \(stderr)")
    }

    /// Everything the server wrote to stderr so far.
    var stderr: String { log.text.withLock { $0 } }

    var base: String { "http://127.0.0.1:\(port)" }

    struct Reply {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: Data

        /// The body as a JSON object.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }

        /// OpenAI's error shape: `error.message`, `error.type`, and `error.param`.
        var error: (message: String, type: String, param: String?)? {
            guard let error = json["error"] as? [String: Any], let message = error["message"] as? String,
                let type = error["type"] as? String, error.keys.contains("code")
            else { return nil }
            return (message, type, error["param"] as? String)
        }
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> Reply {
        try await send("GET", path, body: nil, headers: headers)
    }

    func post(_ path: String, json: Any, headers: [(String, String)] = []) async throws -> Reply {
        try await send("POST", path, body: try JSONSerialization.data(withJSONObject: json), headers: headers)
    }

    func send(_ method: String, _ path: String, body: Data?, headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: response.status, headers: response.headers, body: Data(bytes.readableBytesView))
    }

    /// Opens a streaming completion and returns its response, to read event by event.
    func stream(_ path: String, json: Any, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        return try await HTTPClient.shared.execute(request, timeout: .seconds(120))
    }

    /// The value of the Prometheus sample `name` (with labels, as written) at `/metrics`.
    func metric(_ name: String) async throws -> Double? {
        let text = String(decoding: try await get("/metrics").body, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    /// Sends `signal` and waits for the process to exit; returns its status.
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// Server-sent events of a streaming response: the JSON of each `data:` line, until `[DONE]`.
struct EventReader {
    var iterator: HTTPClientResponse.Body.AsyncIterator
    var pending = ""
    var done = false

    init(_ response: HTTPClientResponse) { iterator = response.body.makeAsyncIterator() }

    /// The next event's JSON, nil after `[DONE]` or the end of the body.
    mutating func next() async throws -> [String: Any]? {
        while true {
            if let end = pending.range(of: "\n\n") {
                let event = String(pending[..<end.lowerBound])
                pending = String(pending[end.upperBound...])
                guard event.hasPrefix("data: ") else { throw ServerTestError("not an SSE data line: \(event)") }
                let payload = event.dropFirst("data: ".count)
                if payload == "[DONE]" {
                    done = true
                    return nil
                }
                guard let object = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else {
                    throw ServerTestError("not a JSON object: \(payload)")
                }
                return object
            }
            guard let buffer = try await iterator.next() else { return nil }
            pending += String(buffer: buffer)
        }
    }

    /// Every remaining event, the text of their deltas, and whether `[DONE]` ended them.
    mutating func rest() async throws -> [[String: Any]] {
        var events: [[String: Any]] = []
        while let event = try await next() { events.append(event) }
        return events
    }
}

/// The text of a chat or text completion chunk.
func deltaText(_ event: [String: Any]) -> String {
    guard let choice = (event["choices"] as? [[String: Any]])?.first else { return "" }
    if let delta = choice["delta"] as? [String: Any] { return delta["content"] as? String ?? "" }
    return choice["text"] as? String ?? ""
}

/// What a server wrote to stderr, appended as it arrives.
final class ServerLog: Sendable {
    let text = Mutex("")
}

struct ServerTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
