import CBLAS
import Dispatch
import Foundation

/// Every kernel's threads come from here. OpenBLAS is pinned to one thread and the
/// kernels (matmuls included) split their rows across `threadCount` workers, so BLAS
/// threads and our own never oversubscribe the cores.
public enum Parallelism {
    nonisolated(unsafe) public private(set) static var threadCount: Int = {
        openblas_set_num_threads(1)
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Sets the number of worker threads (clamped to at least one).
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(1)
        threadCount = max(1, count)
    }

    /// Runs `body(i)` for every i in 0..<iterations across the worker threads.
    /// The closure is not `@Sendable`: callers hand it raw buffer views and promise
    /// that iterations write disjoint memory.
    public static func forEach(_ iterations: Int, _ body: (Int) -> Void) {
        if iterations <= 1 || threadCount == 1 {
            for i in 0..<iterations { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: iterations) { work($0) }
        }
    }

    /// Splits 0..<count into at most `threadCount` contiguous ranges of at least
    /// `minimumChunk` elements and runs `body` on each in parallel.
    public static func forEachChunk(of count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = max(1, min(threadCount, count / max(1, minimumChunk)))
        if chunks == 1 {
            body(0..<count)
            return
        }
        let base = count / chunks, extra = count % chunks
        forEach(chunks) { chunk in
            let start = chunk * base + min(chunk, extra)
            let end = start + base + (chunk < extra ? 1 : 0)
            body(start..<end)
        }
    }
}
