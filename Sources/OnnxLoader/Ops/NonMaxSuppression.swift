import TensorCore

/// NonMaxSuppression: per batch and class, boxes by descending score (lower index first on ties),
/// above `score_threshold` when given, each kept unless its IoU with a kept box exceeds
/// `iou_threshold`, at most `max_output_boxes_per_class` (0 when absent). Boxes are corner pairs in
/// either order (`center_point_box = 0`) or centre, width and height (1). Output: `[k, 3]`
/// (batch, class, box) int64 rows.
func registerNonMaxSuppression(_ registry: inout OperatorRegistry) {
    registry.register("NonMaxSuppression", since: [10, 11]) { attributes in
        let centered = attributes.int("center_point_box", default: 0) == 1
        return ClosureOperator { inputs in
            let op = "NonMaxSuppression"
            let boxesTensor = try inputs.required(0), scoresTensor = try inputs.required(1)
            guard boxesTensor.rank == 3, boxesTensor.shape[2] == 4, scoresTensor.rank == 3,
                scoresTensor.shape[0] == boxesTensor.shape[0],
                scoresTensor.shape[2] == boxesTensor.shape[1]
            else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [boxesTensor.shape, scoresTensor.shape],
                    reason: "boxes must be [batches, boxes, 4] and scores [batches, classes, boxes]")
            }
            let boxes = try boxesTensor.cast(to: .float64).scalars(as: Double.self)
            let scores = try scoresTensor.cast(to: .float64).scalars(as: Double.self)
            let limit = try inputs.optional(2).map { try $0.intValues(op).first ?? 0 } ?? 0
            let iouThreshold =
                try inputs.optional(3).map { try $0.cast(to: .float64).scalars(as: Double.self).first ?? 0 } ?? 0
            let scoreThreshold: Double? = try inputs.optional(4).flatMap {
                try $0.cast(to: .float64).scalars(as: Double.self).first
            }
            let (batches, classes, count) = (scoresTensor.shape[0], scoresTensor.shape[1], boxesTensor.shape[1])
            // A box as (xMin, xMax, yMin, yMax).
            func corners(_ batch: Int, _ box: Int) -> (Double, Double, Double, Double) {
                let b = (batch * count + box) * 4
                if centered {
                    return (
                        boxes[b] - boxes[b + 2] / 2, boxes[b] + boxes[b + 2] / 2, boxes[b + 1] - boxes[b + 3] / 2,
                        boxes[b + 1] + boxes[b + 3] / 2
                    )
                }
                return (
                    min(boxes[b + 1], boxes[b + 3]), max(boxes[b + 1], boxes[b + 3]), min(boxes[b], boxes[b + 2]),
                    max(boxes[b], boxes[b + 2])
                )
            }
            func overlaps(_ batch: Int, _ first: Int, _ second: Int) -> Bool {
                let a = corners(batch, first), b = corners(batch, second)
                let width = min(a.1, b.1) - max(a.0, b.0), height = min(a.3, b.3) - max(a.2, b.2)
                guard width > 0, height > 0 else { return false }
                let intersection = width * height
                let areaA = (a.1 - a.0) * (a.3 - a.2), areaB = (b.1 - b.0) * (b.3 - b.2)
                let union = areaA + areaB - intersection
                guard areaA > 0, areaB > 0, union > 0 else { return false }
                return intersection / union > iouThreshold
            }
            var rows: [Int64] = []
            for batch in 0..<batches {
                for cls in 0..<classes {
                    let offset = (batch * classes + cls) * count
                    var candidates = (0..<count).filter { box in
                        scoreThreshold.map { scores[offset + box] > $0 } ?? true
                    }
                    candidates.sort {
                        scores[offset + $0] > scores[offset + $1]
                            || (scores[offset + $0] == scores[offset + $1] && $0 < $1)
                    }
                    var kept: [Int] = []
                    for box in candidates where kept.count < limit {
                        if !kept.contains(where: { overlaps(batch, box, $0) }) {
                            kept.append(box)
                            rows += [Int64(batch), Int64(cls), Int64(box)]
                        }
                    }
                }
            }
            return [try Tensor(shape: [rows.count / 3, 3], scalars: rows)]
        }
    }
}
