import TensorCore

/// CumSum and CumProd along an axis (exclusive, reverse).
func registerCumulativeOps(_ registry: inout OperatorRegistry) {
    let cumulative: [(String, [Int], Double, @Sendable (Double, Double) -> Double)] = [
        ("CumSum", [11, 14], 0, { $0 + $1 }), ("CumProd", [26], 1, { $0 * $1 }),
    ]
    for (name, versions, identity, combine) in cumulative {
        registry.register(name, since: versions) { attributes in
            let exclusive = attributes.int("exclusive", default: 0) == 1,
                reverse = attributes.int("reverse", default: 0) == 1
            return ClosureOperator { inputs in
                let x = try inputs.required(0)
                let axis = try Shape.normalizeAxis(
                    try inputs.required(1).scalarInt(name), rank: x.rank, op: name)
                return [
                    try alongAxis(x, axis: axis) { row in
                        var running = identity
                        var result = [Double](repeating: identity, count: row.count)
                        for step in 0..<row.count {
                            let i = reverse ? row.count - 1 - step : step
                            if exclusive {
                                result[i] = running
                                running = combine(running, row[i])
                            } else {
                                running = combine(running, row[i])
                                result[i] = running
                            }
                        }
                        return result
                    }
                ]
            }
        }
    }
}
