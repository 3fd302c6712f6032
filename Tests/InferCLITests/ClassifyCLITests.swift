import Foundation
import XCTest

/// `classify` on the real open-nsfw model and photos from `Fixtures/fetch.sh`.
final class ClassifyCLITests: XCTestCase {
    private let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")
    private let openNSFW = ["--channel-order", "bgr", "--scale", "1", "--mean", "104,117,123", "--std", "1,1,1"]

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: models.appendingPathComponent("opennsfw/open-nsfw.onnx").path)
        else {
            throw XCTSkip("run Fixtures/fetch.sh first (the README's test command does)")
        }
    }

    func testClassifiesPhotosEndToEnd() throws {
        let model = models.appendingPathComponent("opennsfw/open-nsfw.onnx").path
        let photos = ["chelsea.png", "coffee.png", "rocket.jpg"].map {
            models.appendingPathComponent("images/\($0)").path
        }
        let result = try runCLI(["classify", "--model", model] + photos + openNSFW + ["--top-k", "2", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let entries = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(entries.count, 3)
        for entry in entries {
            let ranked = try XCTUnwrap(entry["top_k"] as? [[String: Any]])
            XCTAssertEqual(ranked.count, 2)
            let probabilities = ranked.compactMap { $0["probability"] as? Double }
            XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-4)
            XCTAssertEqual(ranked.first?["index"] as? Int, 0, "ordinary photos are safe for work: \(entry)")
        }
    }

    func testJSONLBatchKeepsGoingAfterBadRecords() throws {
        let model = models.appendingPathComponent("opennsfw/open-nsfw.onnx").path
        let photo = models.appendingPathComponent("images/coffee.png").path
        let records =
            "{\"id\": \"good\", \"path\": \"\(photo)\"}\nnot json\n{\"id\": \"missing\", \"path\": \"/no/such.png\"}\n{\"id\": \"short\", \"input\": [1, 2, 3]}\n{\"id\": \"again\", \"path\": \"\(photo)\"}\n"
        let result = try runCLI(["classify", "--model", model, "-"] + openNSFW, stdin: Data(records.utf8))
        XCTAssertEqual(result.status, 1, "some records failed")
        let lines = result.stdout.split(separator: "\n").map {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(lines.map { $0?["id"] as? String }, ["good", nil, "missing", "short", "again"])
        XCTAssertNotNil(lines[0]?["top_k"])
        XCTAssertNotNil(lines[1]?["error"])
        XCTAssertTrue((lines[2]?["error"] as? String ?? "").contains("/no/such.png"))
        XCTAssertTrue((lines[3]?["error"] as? String ?? "").contains("150528"), "\(String(describing: lines[3]))")
        XCTAssertNotNil(lines[4]?["top_k"])
    }

    func testBadImagesAndJSONAreErrorsNotCrashes() throws {
        let model = models.appendingPathComponent("opennsfw/open-nsfw.onnx").path
        let png = try Data(contentsOf: models.appendingPathComponent("images/chelsea.png"))
        let directory = FileManager.default.temporaryDirectory
        let truncated = directory.appendingPathComponent("infer-truncated-\(getpid()).png").path
        FileManager.default.createFile(atPath: truncated, contents: png.prefix(png.count / 2))
        let json = directory.appendingPathComponent("infer-record-\(getpid()).json").path
        FileManager.default.createFile(atPath: json, contents: Data("{\"pixels\": [1, 2]}".utf8))
        defer {
            try? FileManager.default.removeItem(atPath: truncated)
            try? FileManager.default.removeItem(atPath: json)
        }
        let bad = try runCLI(["classify", "--model", model, truncated] + openNSFW)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains(truncated), bad.stderr)
        let record = try runCLI(["classify", "--model", model, json])
        XCTAssertEqual(record.status, 2)
        XCTAssertTrue(record.stderr.contains(json) && record.stderr.contains("\"input\""), record.stderr)
    }
}
