extension LlamaModel {
    /// Hugging Face's Llama initialisation: matrices and embeddings from N(0, std²),
    /// RMSNorm weights one, biases zero.
    public func initializeRandomly(seed: UInt64, standardDeviation: Float = 0.02) {
        var generator = SeededGenerator(seed: seed)
        for tensor in layout.tensors {
            let values = parameters.baseAddress! + tensor.offset
            if tensor.isNormWeight {
                values.update(repeating: 1, count: tensor.count)
            } else if tensor.isBias {
                values.update(repeating: 0, count: tensor.count)
            } else {
                for i in 0..<tensor.count { values[i] = standardDeviation * generator.nextGaussian() }
            }
        }
    }
}
