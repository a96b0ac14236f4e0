import CAllocationCounter
import Foundation
import Kernels
import Model
import XCTest

/// The decode step reuses the session's buffers. Its speed is measured by
/// `lethe bench generate`, not here.
final class GenerationAllocationTests: XCTestCase {
    override func tearDown() {
        Parallelism.setThreadCount(ProcessInfo.processInfo.activeProcessorCount)
    }

    /// After the prompt, a decode step and a sampled draw allocate nothing: none at all in a
    /// release build; a debug build allocates the compiler's accessor frames (40 bytes),
    /// smaller than any buffer of the session (the smallest, the key mask, is 64 bytes here).
    /// On one thread: with more, each parallel region adds Dispatch's own bookkeeping.
    func testDecodeStepAllocatesNothing() throws {
        Parallelism.setThreadCount(1)
        let model = try ModelFolder.load(Fixtures.llamaFolder("gqa_untied"))
        let session = try InferenceSession(model: model)
        var sampler = try TokenSampler(options: SamplingOptions(temperature: 0.8, seed: 3), vocabularySize: model.config.vocabSize)
        var token = sampler.next(from: try session.append(tokens: [1, 5, 9]))
        allocation_counter_start()
        for _ in 0..<20 { token = sampler.next(from: try session.append(token: token)) }
        allocation_counter_stop()
        XCTAssertLessThanOrEqual(allocation_counter_largest(), 48, "largest allocation in 20 decode steps (bytes)")
        #if !DEBUG
        XCTAssertEqual(allocation_counter_count(), 0, "allocations in 20 decode steps")
        #endif
    }
}
