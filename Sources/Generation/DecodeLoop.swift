import Foundation

/// What the decode thread and the submitting threads share: the waiting requests, the ids of
/// cancelled ones, the counts, and the shutdown flag.
// @unchecked Sendable: every stored property is read and written only while `condition` is held.
final class SchedulerState: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [ScheduledJob] = []
    private var cancelled: Set<Int> = []
    private var active = 0
    private var stopping = false
    private let onOccupancy: @Sendable (GenerationScheduler.Occupancy) -> Void
    let onCancel: @Sendable () -> Void

    init(
        onOccupancy: @escaping @Sendable (GenerationScheduler.Occupancy) -> Void,
        onCancel: @escaping @Sendable () -> Void
    ) {
        self.onOccupancy = onOccupancy
        self.onCancel = onCancel
    }

    var occupancy: GenerationScheduler.Occupancy {
        condition.withLock { GenerationScheduler.Occupancy(active: active, queued: pending.count) }
    }

    /// Adds `job` to the queue unless `limit` jobs already wait (with every slot busy).
    func enqueue(_ job: ScheduledJob, limit: Int, slots: Int) throws(SchedulerError) {
        let occupancy: GenerationScheduler.Occupancy
        condition.lock()
        if stopping {
            condition.unlock()
            throw .shuttingDown
        }
        // Requests that a free slot takes at the next step do not count as waiting.
        if pending.count - max(0, slots - active) >= limit {
            condition.unlock()
            throw .queueFull(limit: limit)
        }
        pending.append(job)
        occupancy = .init(active: active, queued: pending.count)
        condition.signal()
        condition.unlock()
        onOccupancy(occupancy)
    }

    /// Marks job `id` cancelled: dropped from the queue now, or from the batch at the next step.
    func cancel(_ id: Int) {
        condition.lock()
        var occupancy: GenerationScheduler.Occupancy?
        if let index = pending.firstIndex(where: { $0.id == id }) {
            pending.remove(at: index)
            occupancy = .init(active: active, queued: pending.count)
        } else {
            cancelled.insert(id)
        }
        condition.signal()
        condition.unlock()
        if let occupancy {
            onCancel()
            onOccupancy(occupancy)
        }
    }

    func shutdown() {
        condition.withLock {
            stopping = true
            condition.signal()
        }
    }

    /// What the decode loop takes at the start of a step.
    struct Intake {
        var admitted: [ScheduledJob]
        var cancelled: Set<Int>
        var stopping: Bool
        var refused: [ScheduledJob]
    }

    /// Waits until there is work (or `running` sequences), then hands over up to `free` queued
    /// jobs, the cancelled ids and the shutdown flag.
    func take(free: Int, running: Int) -> Intake {
        condition.lock()
        while running == 0 && pending.isEmpty && cancelled.isEmpty && !stopping { condition.wait() }
        var intake = Intake(admitted: [], cancelled: cancelled, stopping: stopping, refused: [])
        cancelled = []
        if stopping {
            intake.refused = pending
            pending = []
        } else {
            let count = min(free, pending.count)
            intake.admitted = Array(pending.prefix(count))
            pending.removeFirst(count)
        }
        active = running + intake.admitted.count
        condition.unlock()
        return intake
    }

    /// Records how many sequences decode after a step.
    func setActive(_ count: Int) {
        let occupancy: GenerationScheduler.Occupancy = condition.withLock {
            active = count
            return .init(active: active, queued: pending.count)
        }
        onOccupancy(occupancy)
    }
}

/// One sequence in the batch: its job, its slot's cache, and how far its prompt has run.
struct ActiveSequence {
    let job: ScheduledJob
    let slot: Int
    var prefilled = 0
    var stream: TokenStream
    var firstToken: Double?
    let queueSeconds: Double
}

/// The decode loop of a ``GenerationScheduler``: admits queued jobs into free slots, runs one
/// batched forward pass for every active sequence, streams their text, and frees the slots of
/// finished, cancelled and expired ones.
// @unchecked Sendable: handed to the decode thread at start and used only there afterwards; its
// caches and sequences are never touched by another thread.
final class DecodeLoop: @unchecked Sendable {
    let generator: TextGenerator
    let state: SchedulerState
    let prefillChunk: Int
    private let caches: [KVCache]
    private var freeSlots: [Int]
    /// Per slot, the prompt ids whose keys and values its cache holds from the last request,
    /// computed as a prompt (several tokens at a time), so a new prompt can reuse them.
    private var cachedPrompts: [[Int]]
    private var sequences: [ActiveSequence] = []

    init(generator: TextGenerator, state: SchedulerState, caches: [KVCache], prefillChunk: Int) {
        self.generator = generator
        self.state = state
        self.caches = caches
        self.prefillChunk = prefillChunk
        freeSlots = Array(caches.indices.reversed())
        cachedPrompts = Array(repeating: [], count: caches.count)
    }

    func run() {
        while true {
            let intake = state.take(free: freeSlots.count, running: sequences.count)
            for job in intake.refused {
                job.continuation.yield(.failed(.shuttingDown))
                job.continuation.finish()
            }
            for job in intake.admitted { admit(job) }
            let now = ContinuousClock.now
            sequences.removeAll { sequence in
                if intake.cancelled.contains(sequence.job.id) && sequence.stream.finishReason == nil {
                    release(sequence)
                    sequence.job.continuation.finish()
                    state.onCancel()
                    return true
                }
                return false
            }
            for index in sequences.indices {
                let expired = sequences[index].job.deadline.map { now >= $0 } ?? false
                if intake.stopping || expired { end(index, piece: sequences[index].stream.stop()) }
            }
            removeFinished()
            if intake.stopping && sequences.isEmpty {
                state.setActive(0)
                return
            }
            step()
            removeFinished()
            state.setActive(sequences.count)
        }
    }

    /// Puts `job` in the free slot whose cached prompt shares the longest prefix with its prompt
    /// (llama-server's prompt cache) and skips that prefix. Only positions computed as part of a
    /// prompt are reused, and at least two prompt tokens always run, so the sequence's numbers are
    /// those of a fresh run.
    private func admit(_ job: ScheduledJob) {
        guard !freeSlots.isEmpty else { return }
        let prompt = job.promptIds
        func shared(_ slot: Int) -> Int {
            zip(cachedPrompts[slot], prompt).prefix { $0 == $1 }.count
        }
        let best = freeSlots.indices.max { shared(freeSlots[$0]) < shared(freeSlots[$1]) } ?? freeSlots.count - 1
        let slot = freeSlots.remove(at: best)
        let reused = prompt.count >= 2 ? min(shared(slot), prompt.count - 2) : 0
        caches[slot].rewind(to: reused)
        let waited = job.submitted.duration(to: .now)
        var sequence = ActiveSequence(
            job: job, slot: slot,
            stream: TokenStream(generator: generator, request: job.request, promptIds: prompt),
            queueSeconds: waited.seconds)
        sequence.prefilled = reused
        sequences.append(sequence)
        if sequence.stream.finishReason != nil { end(sequences.count - 1, piece: "") }
    }

    /// Frees a sequence's slot, remembering the prompt positions its cache now holds.
    private func release(_ sequence: ActiveSequence) {
        cachedPrompts[sequence.slot] = Array(sequence.job.promptIds.prefix(sequence.prefilled))
        freeSlots.append(sequence.slot)
    }

    /// One batched forward pass: a chunk of prompt for sequences still prefilling (within the
    /// step's prefill budget), the last sampled token for the others.
    private func step() {
        var budget = prefillChunk
        var steps: [SequenceStep] = []
        var members: [Int] = []
        for (index, sequence) in sequences.enumerated() where sequence.stream.finishReason == nil {
            let prompt = sequence.job.promptIds
            if sequence.prefilled < prompt.count {
                let left = prompt.count - sequence.prefilled
                var take = min(left, budget)
                // Chunks of two tokens or more (a one-token prompt aside): every token of a
                // prompt takes the batched attention product, as when the prompt runs whole.
                if left - take == 1 { take -= 1 }
                if take < 2 && !(left == 1 && take == 1) { continue }
                budget -= take
                steps.append(
                    SequenceStep(
                        tokens: Array(prompt[sequence.prefilled..<(sequence.prefilled + take)]),
                        cache: caches[sequence.slot]))
            } else if let last = sequence.stream.lastId {
                steps.append(SequenceStep(tokens: [last], cache: caches[sequence.slot]))
            } else {
                continue
            }
            members.append(index)
        }
        guard !steps.isEmpty else { return }
        let logits: [[Float]]
        do { logits = try generator.model.forward(batch: steps) } catch {
            for index in members {
                sequences[index].job.continuation.yield(.failed(.invalidRequest(error)))
                sequences[index].job.continuation.finish()
                _ = sequences[index].stream.stop()
            }
            return
        }
        for (position, index) in members.enumerated() {
            let count = steps[position].tokens.count
            if sequences[index].prefilled < sequences[index].job.promptIds.count {
                sequences[index].prefilled += count
                if sequences[index].prefilled < sequences[index].job.promptIds.count { continue }
            }
            let cache = caches[sequences[index].slot]
            let piece = sequences[index].stream.accept(logits[position], roomInContext: cache.remaining > 0)
            if sequences[index].firstToken == nil {
                sequences[index].firstToken = sequences[index].job.submitted.duration(to: .now).seconds
            }
            if sequences[index].stream.finishReason != nil {
                end(index, piece: piece)
            } else if !piece.isEmpty {
                sequences[index].job.continuation.yield(.text(piece))
            }
        }
    }

    /// Sends a finished sequence's last text and its summary.
    private func end(_ index: Int, piece: String) {
        let sequence = sequences[index]
        if !piece.isEmpty { sequence.job.continuation.yield(.text(piece)) }
        sequence.job.continuation.yield(
            .finished(
                GenerationSummary(
                    promptTokens: sequence.job.promptIds.count, completionTokens: sequence.stream.ids.count,
                    finishReason: sequence.stream.finishReason ?? .length, text: sequence.stream.text,
                    timeToFirstToken: sequence.firstToken, queueSeconds: sequence.queueSeconds)))
        sequence.job.continuation.finish()
    }

    private func removeFinished() {
        sequences.removeAll { sequence in
            guard sequence.stream.finishReason != nil else { return false }
            release(sequence)
            return true
        }
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
