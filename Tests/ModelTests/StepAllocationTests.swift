import CAllocationCounter
import Model
import XCTest

/// Buffers are planned once per batch shape: after the first step, a training step
/// (forward, loss, backward, clipping) allocates no buffer on any thread. What remains is
/// Dispatch's bookkeeping for each parallel region (a block copy and a continuation, tens
/// of bytes each), far below the smallest buffer of this shape (N floats = 1280 bytes).
final class StepAllocationTests: XCTestCase {
    func testTrainingStepsAfterTheFirstAllocateNoBuffers() throws {
        // Every matmul is above OpenBLAS's small-matrix size (M·N·K > 100³): its small-matrix
        // kernels for AVX-512 cores (SkylakeX, Cooperlake) malloc a scratch buffer on each call,
        // which is the library's, not a buffer of Lethe's, and differs between CPUs.
        let config = LlamaConfig(vocabSize: 64, hiddenSize: 256, intermediateSize: 384, layerCount: 2,
                                 headCount: 4, keyValueHeadCount: 2, tieWordEmbeddings: false)
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: 9)
        let batch = try TokenBatch(sequences: (0..<2).map { b in (0..<160).map { ($0 * 7 + b) % 64 } })
        func step() throws {
            model.zeroGradients()
            try model.forward(batch)
            model.crossEntropyLoss()
            model.backwardCrossEntropy()
            model.clipGradients(maxNorm: 1)
        }
        // Every parameter, then the upper layer and the output head only (backward stops early).
        let upper = model.layout.tensors.filter { $0.name.hasPrefix("model.layers.1.") || $0.name == "lm_head.weight" }
        for trainable in [[0..<model.layout.count], upper.map { $0.offset..<$0.offset + $0.count }] {
            model.restrictTraining(to: trainable)
            try step()
            allocation_counter_start()
            for _ in 0..<3 { try step() }
            allocation_counter_stop()
            XCTAssertLessThanOrEqual(allocation_counter_largest(), 256, "largest allocation in three steps after the first (bytes)")
        }

        // The counter sees buffers: a new batch shape plans new ones.
        allocation_counter_start()
        try model.forward(try TokenBatch(sequences: [[1, 2, 3]]))
        allocation_counter_stop()
        XCTAssertGreaterThan(allocation_counter_largest(), 10_000)
    }
}
