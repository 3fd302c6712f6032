import CoreMetrics
import Foundation
import Metrics

import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory

/// The server's metrics, recorded through swift-metrics into a Prometheus registry of the
/// server's own (no process-wide bootstrap) and rendered as Prometheus text at `/metrics`.
public final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    let cancelled: Counter
    let promptTokens: Counter
    let generatedTokens: Counter

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let latency: [Duration] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
            .seconds(30), .seconds(60), .seconds(120),
        ]
        factory.defaultDurationHistogramBuckets = latency
        self.factory = factory
        cancelled = Counter(label: "infer_requests_cancelled_total", factory: factory)
        promptTokens = Counter(label: "infer_prompt_tokens_total", factory: factory)
        generatedTokens = Counter(label: "infer_generated_tokens_total", factory: factory)
        // Series that exist before the first request, so a scrape always shows them.
        cancelled.increment(by: 0)
        promptTokens.increment(by: 0)
        generatedTokens.increment(by: 0)
    }

    /// One answered request: `route` is the route pattern (not the raw path), `status` its code.
    func request(route: String, status: Int, seconds: Double) {
        Counter(
            label: "infer_requests_total", dimensions: [("route", route), ("status", String(status))], factory: factory
        )
        .increment()
        Timer(label: "infer_request_duration_seconds", factory: factory).recordSeconds(seconds)
    }

    /// Time spent computing for `model` (a forward pass of a `/predict`, a whole generation).
    func inference(model: String, seconds: Double) {
        Timer(label: "infer_inference_duration_seconds", dimensions: [("model", model)], factory: factory)
            .recordSeconds(seconds)
    }

    func timeToFirstToken(seconds: Double) {
        Timer(label: "infer_time_to_first_token_seconds", factory: factory).recordSeconds(seconds)
    }

    /// Sequences decoding and requests waiting, per model.
    func occupancy(model: String, active: Int, queued: Int) {
        Gauge(label: "infer_active_sequences", dimensions: [("model", model)], factory: factory).record(active)
        Gauge(label: "infer_queue_depth", dimensions: [("model", model)], factory: factory).record(queued)
    }

    /// The Prometheus text exposition of every metric.
    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
