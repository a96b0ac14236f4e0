/// Trains a GPT-2-style byte-level BPE tokenizer on texts: the ByteLevel pre-tokenizer with
/// the GPT-2 pattern and no prefix space, a vocabulary of the special tokens (ids 0…), the
/// 256 byte tokens in code-point order of their scalars, then one token per merge, and the
/// ByteLevel decoder and post-processor. `Tokenizer.write(to:)` saves the result as a
/// tokenizer.json that tokenizers loads and encodes identically.
///
/// Each step merges the most frequent adjacent pair of tokens; among pairs with equal
/// counts, the one whose (left id, right id) is smallest: tokenizers' BpeTrainer rule, so on
/// the same texts both learn the same merges (docs/tokenizer.md has the exceptions).
/// Special tokens are cut out of the texts before counting, as they never reach BPE.
public struct BPETrainer: Sendable {
    public var vocabularySize: Int
    /// Pairs seen fewer times are never merged.
    public var minimumFrequency: Int
    public var specialTokens: [String]
    /// A special token that `encode(_:addSpecialTokens: true)` puts first: the trained file's
    /// post-processor then holds the template `TOKEN $A`, as Llama 3's does, so tokenizers
    /// and transformers add it too.
    public var beginningOfSequence: String?

    public init(vocabularySize: Int, minimumFrequency: Int = 2, specialTokens: [String], beginningOfSequence: String? = nil) {
        precondition(beginningOfSequence.map(specialTokens.contains) ?? true, "the beginning-of-sequence token must be a special token")
        self.vocabularySize = vocabularySize
        self.minimumFrequency = minimumFrequency
        self.specialTokens = specialTokens
        self.beginningOfSequence = beginningOfSequence
    }

    /// An adjacent pair of token ids as one key: the left id in the high half, so keys order
    /// as (left, right) pairs do.
    private typealias Pair = UInt64

    /// A queued pair with its count when queued; the most frequent, then the smallest, first.
    private struct Candidate: Comparable {
        let count: Int
        let pair: Pair

        static func < (a: Candidate, b: Candidate) -> Bool {
            a.count != b.count ? a.count > b.count : a.pair < b.pair
        }
    }

    public func train(texts: [String]) -> Tokenizer {
        var specials: [String] = []
        for token in specialTokens where !token.isEmpty && !specials.contains(token) { specials.append(token) }
        let addedTokens = specials.enumerated().map { AddedToken(id: $0, content: $1, isSpecial: true, isNormalized: false) }

        // The vocabulary so far, by id, and the bytes each byte-level token stands for.
        var tokens = specials
        var tokenBytes = specials.map { ByteLevelAlphabet.bytes(of: $0) ?? [] }
        var ids: [[UInt8]: Int] = [:]
        for (id, bytes) in tokenBytes.enumerated() where !bytes.isEmpty { ids[bytes] = id }
        for byte in (UInt8.min...UInt8.max).sorted(by: { ByteLevelAlphabet.scalars[Int($0)].value < ByteLevelAlphabet.scalars[Int($1)].value })
        where ids[[byte]] == nil {
            ids[[byte]] = tokens.count
            tokens.append(ByteLevelAlphabet.token(for: [byte]))
            tokenBytes.append([byte])
        }

        var (words, counts) = Self.countWords(texts, specialTokens: addedTokens, ids: ids)
        var pairCounts: [Pair: Int] = [:]
        var wordsWithPair: [Pair: Set<Int>] = [:]
        for (index, word) in words.enumerated() {
            for pair in Self.pairs(of: word) {
                pairCounts[pair, default: 0] += counts[index]
                wordsWithPair[pair, default: []].insert(index)
            }
        }
        var queue = MinimumHeap<Candidate>()
        for (pair, count) in pairCounts { queue.push(Candidate(count: count, pair: pair)) }

        var merges: [MergeRule] = []
        while tokens.count < vocabularySize, let candidate = queue.pop() {
            // Counts only fall between a pair's queuing and its turn, except through a merge,
            // which queues the pair again: a stale candidate goes back with its current count.
            let count = pairCounts[candidate.pair, default: 0]
            guard count == candidate.count else {
                if count > 0 { queue.push(Candidate(count: count, pair: candidate.pair)) }
                continue
            }
            guard count >= max(minimumFrequency, 1) else { break }
            let left = Int32(truncatingIfNeeded: candidate.pair >> 32), right = Int32(truncatingIfNeeded: candidate.pair)
            let bytes = tokenBytes[Int(left)] + tokenBytes[Int(right)]
            // Two merge paths can spell the same token ("a"+"bc", "ab"+"c"); it keeps its first id.
            let result = ids[bytes] ?? tokens.count
            if result == tokens.count {
                ids[bytes] = result
                tokens.append(ByteLevelAlphabet.token(for: bytes))
                tokenBytes.append(bytes)
            }
            merges.append(MergeRule(left: Int(left), right: Int(right), result: result))

            var changes: [Pair: Int] = [:]
            for index in wordsWithPair.removeValue(forKey: candidate.pair) ?? [] {
                let word = words[index]
                let merged = Self.merge(left, right, into: Int32(result), in: word)
                guard merged.count < word.count else { continue }
                for pair in Self.pairs(of: word) { changes[pair, default: 0] -= counts[index] }
                for pair in Self.pairs(of: merged) {
                    changes[pair, default: 0] += counts[index]
                    wordsWithPair[pair, default: []].insert(index)
                }
                words[index] = merged
            }
            for (pair, change) in changes where change != 0 {
                let updated = pairCounts[pair, default: 0] + change
                pairCounts[pair] = updated == 0 ? nil : updated
                if change > 0 { queue.push(Candidate(count: updated, pair: pair)) }
            }
        }

        let template = beginningOfSequence.map { token in
            PostProcessor.Step.template(TemplateProcessing(
                bos: TemplateProcessing.SpecialToken(name: token, ids: [specials.firstIndex(of: token)!], tokens: [token]), eos: nil))
        }
        let byteLevel = PostProcessor.Step.byteLevel(addsPrefixSpace: true, trimsOffsets: false, usesRegex: true)
        return Tokenizer(definition: TokenizerDefinition(
            model: BPE(tokens: tokens, merges: merges), addedTokens: addedTokens, normalizer: nil, preTokenizer: .gpt2,
            postProcessor: PostProcessor(steps: [byteLevel] + (template.map { [$0] } ?? [])), decoder: .byteLevel(ByteLevelDecoder())))
    }

    /// The distinct pre-tokens of `texts` as byte-token ids, with how often each occurs.
    private static func countWords(_ texts: [String], specialTokens: [AddedToken], ids: [[UInt8]: Int]) -> ([[Int32]], [Int]) {
        let matcher = AddedTokenMatcher(tokens: specialTokens, patterns: specialTokens.map(\.content))
        var counts: [[UInt8]: Int] = [:]
        for text in texts {
            let bytes = Array(text.utf8)
            for case .text(let range) in matcher.segments(of: bytes) {
                let scalars = Array(String(decoding: bytes[range], as: UTF8.self).unicodeScalars)
                PreTokenizer.gpt2.forEachPreToken(of: scalars, startsInput: true) { counts[$0, default: 0] += 1 }
            }
        }
        // Every byte has a token, so each lookup succeeds.
        return (counts.keys.map { word in word.map { Int32(ids[[$0]]!) } }, Array(counts.values))
    }

    private static func pairs(of word: [Int32]) -> [Pair] {
        word.indices.dropLast().map { UInt64(UInt32(word[$0])) << 32 | UInt64(UInt32(word[$0 + 1])) }
    }

    /// `word` with every occurrence of `left` followed by `right`, taken left to right without
    /// overlap, replaced by `result`.
    private static func merge(_ left: Int32, _ right: Int32, into result: Int32, in word: [Int32]) -> [Int32] {
        var merged: [Int32] = []
        merged.reserveCapacity(word.count)
        var index = 0
        while index < word.count {
            if index + 1 < word.count, word[index] == left, word[index + 1] == right {
                merged.append(result)
                index += 2
            } else {
                merged.append(word[index])
                index += 1
            }
        }
        return merged
    }
}
