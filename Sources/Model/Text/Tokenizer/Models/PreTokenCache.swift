import Foundation

/// Token ids of pre-tokens already encoded, shared by every thread encoding with one
/// tokenizer: a text is mostly its few hundred commonest words, so most pre-tokens skip BPE.
/// Bounded as tokenizers' own cache is: pre-tokens under 256 bytes, at most `capacity` of
/// them; once full it keeps what it has, so a long-running daemon keeps its early words.
final class PreTokenCache: @unchecked Sendable {
    static let maximumPreTokenLength = 255
    let capacity: Int
    private let lock = NSLock()
    // Keyed by bytes rather than String: Swift compares strings by canonical equivalence.
    private var idsByPreToken: [[UInt8]: [Int32]] = [:]

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func ids(for preToken: [UInt8]) -> [Int32]? {
        lock.withLock { idsByPreToken[preToken] }
    }

    func insert(_ ids: [Int32], for preToken: [UInt8]) {
        guard preToken.count <= Self.maximumPreTokenLength else { return }
        lock.withLock {
            if idsByPreToken.count < capacity { idsByPreToken[preToken] = ids }
        }
    }
}
