import Dispatch
import Foundation

/// Runs independent work items on a few threads, each thread with its own state (zstd
/// contexts, scratch buffers) made once. Threads claim items in the order given, so
/// callers list large items first to keep the threads busy until the end.
///
/// `body` may write only memory that no other item touches; the items of one run never
/// overlap, which is what makes the unchecked sendability below sound.
enum ParallelWork {
    static func run<Worker>(
        itemCount: Int, threads: Int,
        makeWorker: () throws(ObjectCodecError) -> Worker,
        _ body: (inout Worker, Int) throws(ObjectCodecError) -> Void
    ) throws(ObjectCodecError) {
        let threadCount = max(1, min(threads, itemCount))
        if threadCount == 1 {
            var worker = try makeWorker()
            for item in 0..<itemCount { try body(&worker, item) }
            return
        }
        let queue = ItemQueue(count: itemCount)
        withoutActuallyEscaping(makeWorker) { makeWorker in
            withoutActuallyEscaping(body) { body in
                let closures = UncheckedSendable((makeWorker, body))
                DispatchQueue.concurrentPerform(iterations: threadCount) { _ in
                    let (makeWorker, body) = closures.value
                    do throws(ObjectCodecError) {
                        var worker = try makeWorker()
                        while let item = queue.next() { try body(&worker, item) }
                    } catch {
                        queue.fail(error)
                    }
                }
            }
        }
        if let failure = queue.failure { throw failure }
    }
}

/// Hands values to the threads of one `ParallelWork.run`, which keeps their accesses apart.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The shared cursor over the items, and the first failure, which stops the others.
private final class ItemQueue: @unchecked Sendable {  // every field is guarded by `lock`
    private let lock = NSLock()
    private let count: Int
    private var nextItem = 0
    private var firstFailure: ObjectCodecError?

    init(count: Int) { self.count = count }

    func next() -> Int? {
        lock.withLock {
            guard firstFailure == nil, nextItem < count else { return nil }
            defer { nextItem += 1 }
            return nextItem
        }
    }

    func fail(_ error: ObjectCodecError) {
        lock.withLock { if firstFailure == nil { firstFailure = error } }
    }

    var failure: ObjectCodecError? { lock.withLock { firstFailure } }
}
