import TensorCore

/// TensorScatter (opset 24): a KV-cache write. `update`'s sequence positions are written into a
/// copy of `past_cache` along `axis`, from each batch's `write_indices` entry on (0 when absent);
/// `circular` mode wraps around the cache length, `linear` must fit inside it.
func registerTensorScatter(_ registry: inout OperatorRegistry) {
    registry.register("TensorScatter", since: [24]) { attributes in
        let circular = attributes.string("mode", default: "linear") == "circular"
        let axisAttribute = attributes.int("axis", default: -2)
        return ClosureOperator { inputs in
            let past = try inputs.required(0), update = try inputs.required(1)
            let rank = past.rank
            guard rank >= 2, update.rank == rank, past.dtype == update.dtype else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [past.shape, update.shape],
                    reason: "past_cache and update need the same rank (2 or more) and type")
            }
            let axis = axisAttribute < 0 ? axisAttribute + rank : axisAttribute
            guard axis >= 1, axis < rank,
                (0..<rank).allSatisfy({
                    $0 == axis ? update.shape[$0] <= past.shape[$0] : update.shape[$0] == past.shape[$0]
                })
            else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [past.shape, update.shape],
                    reason: "update must match past_cache except along axis \(axis), where it may be shorter")
            }
            let batch = past.shape[0], capacity = past.shape[axis], length = update.shape[axis]
            let starts = try inputs.optional(2).map { try $0.intValues(inputs.op) } ?? Array(repeating: 0, count: batch)
            guard starts.count == batch else {
                throw TensorError.invalidArgument(
                    op: inputs.op, reason: "write_indices needs one entry per batch (\(batch)), got \(starts.count)")
            }
            // Each update element's cache position along the axis, then one ScatterElements.
            let outer = past.shape[..<axis].reduce(1, *), inner = past.shape[(axis + 1)...].reduce(1, *)
            let perBatch = outer / max(batch, 1)
            var slots = [Int64](repeating: 0, count: update.count)
            for prefix in 0..<outer {
                let start = starts[prefix / max(perBatch, 1)]
                for position in 0..<length {
                    var slot = start + position
                    if circular { slot = ((slot % capacity) + capacity) % capacity }
                    guard slot >= 0, slot < capacity else {
                        throw TensorError.invalidArgument(
                            op: inputs.op,
                            reason: "write index \(start) + \(position) is outside the cache length \(capacity)")
                    }
                    let base = (prefix * length + position) * inner
                    for offset in 0..<inner { slots[base + offset] = Int64(slot) }
                }
            }
            let present = try past.scatterElements(
                indices: Tensor(shape: update.shape, scalars: slots), updates: update, axis: axis)
            return [present]
        }
    }
}
