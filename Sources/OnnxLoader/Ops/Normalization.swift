import TensorCore

/// BatchNormalization (inference), LayerNormalization, InstanceNormalization, RMSNormalization.
func registerNormalization(_ registry: inout OperatorRegistry) {
    registry.register("BatchNormalization", since: [1, 6, 7, 9, 14, 15]) { attributes in
        let epsilon = attributes.float("epsilon", default: 1e-5)
        if attributes.int("training_mode", default: 0) == 1 { throw attributes.error("training_mode = 1 is not supported (inference only)") }
        return ClosureOperator { inputs in
            [try Tensor.batchNorm(inputs.required(0, "BatchNormalization"), scale: inputs.required(1, "BatchNormalization"),
                                  bias: inputs.required(2, "BatchNormalization"), mean: inputs.required(3, "BatchNormalization"),
                                  variance: inputs.required(4, "BatchNormalization"), epsilon: epsilon)]
        }
    }
    registry.register("LayerNormalization", since: [17]) { attributes in
        let axis = attributes.int("axis", default: -1), epsilon = attributes.float("epsilon", default: 1e-5)
        return ClosureOperator { inputs in
            let result = try Tensor.layerNorm(inputs.required(0, "LayerNormalization"), axis: axis, scale: inputs.optional(1),
                                              bias: inputs.optional(2), epsilon: epsilon)
            return [result.output, result.mean, result.inverseStdDev]
        }
    }
    registry.register("RMSNormalization", since: [23]) { attributes in
        let axis = attributes.int("axis", default: -1), epsilon = attributes.float("epsilon", default: 1e-5)
        return ClosureOperator { inputs in
            [try Tensor.rmsNorm(inputs.required(0, "RMSNormalization"), axis: axis, scale: inputs.optional(1), epsilon: epsilon)]
        }
    }
    registry.register("InstanceNormalization", since: [1, 6, 22]) { attributes in
        let epsilon = attributes.float("epsilon", default: 1e-5)
        return ClosureOperator { inputs in
            [try Tensor.instanceNorm(inputs.required(0, "InstanceNormalization"), scale: inputs.required(1, "InstanceNormalization"),
                                     bias: inputs.required(2, "InstanceNormalization"), epsilon: epsilon)]
        }
    }
}
