import TensorCore

/// ReverseSequence: each batch entry reversed up to its length.
func registerReverseSequence(_ registry: inout OperatorRegistry) {
    registry.register("ReverseSequence", since: [10, 28]) { attributes in
        let batchAxis = attributes.int("batch_axis", default: 1), timeAxis = attributes.int("time_axis", default: 0)
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let lengths = try inputs.required(1).intValues(inputs.op)
            let batch = try Shape.normalizeAxis(batchAxis, rank: x.rank, op: inputs.op),
                time = try Shape.normalizeAxis(timeAxis, rank: x.rank, op: inputs.op)
            guard lengths.count == x.shape[batch] else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "sequence_lens needs \(x.shape[batch]) values")
            }
            // For GatherElements along the time axis: reversed positions inside each sequence.
            var positions = [Int64](repeating: 0, count: x.count)
            var index = [Int](repeating: 0, count: x.rank)
            var flat = 0
            if x.count > 0 {
                repeat {
                    let t = index[time], length = min(max(lengths[index[batch]], 0), x.shape[time])
                    positions[flat] = Int64(t < length ? length - 1 - t : t)
                    flat += 1
                } while Shape.advance(&index, in: x.shape)
            }
            return [try x.gatherElements(indices: Tensor(shape: x.shape, scalars: positions), axis: time)]
        }
    }
}
