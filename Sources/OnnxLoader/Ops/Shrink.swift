import TensorCore

/// Shrink: values within ±lambd become 0, others move toward 0 by bias.
func registerShrink(_ registry: inout OperatorRegistry) {
    registry.register("Shrink", since: [9]) { attributes in
        let lambda = Double(attributes.float("lambd", default: 0.5)),
            bias = Double(attributes.float("bias", default: 0))
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let values = try x.cast(to: .float64).scalars(as: Double.self).map {
                $0 < -lambda ? $0 + bias : ($0 > lambda ? $0 - bias : 0)
            }
            return [try Tensor(shape: x.shape, scalars: values).cast(to: x.dtype)]
        }
    }
}
