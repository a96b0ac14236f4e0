/// Encodes pre-tokens with a `BPE` model as tokenizers' `BPE::tokenize` does: a pre-token
/// that is itself a token stays whole (`ignore_merges`); otherwise each scalar becomes its
/// token (a scalar without one: its `<0xNN>` byte tokens with byte fallback, else the unknown
/// token, else nothing), then `BytePairMerger` merges. A byte-level pre-token arrives as the
/// bytes its alphabet scalars stand for, so each byte is one scalar, looked up in a table.
struct BPEEncoder: Sendable {
    private let byteLevel: Bool
    /// Byte-level: the id of each byte's alphabet scalar, or -1.
    private let byteSymbolIDs: [Int32]
    /// Otherwise: the id of each scalar that is a token by itself.
    private let scalarIDs: [Unicode.Scalar: Int32]
    /// `<0xNN>` by byte, or -1, with byte fallback.
    private let byteFallbackIDs: [Int32]?
    private let unknownID: Int32?
    private let fusesUnknown: Bool
    /// `ignore_merges`: pre-tokens (as they arrive) that are tokens.
    private let wholePreTokenIDs: [[UInt8]: Int32]?
    private let merger: BytePairMerger
    private let cache = PreTokenCache()

    init(_ model: BPE, byteLevel: Bool) {
        self.byteLevel = byteLevel
        let ids = model.idsByToken
        var symbolIDs = [Int32](repeating: -1, count: 256)
        var scalarIDs: [Unicode.Scalar: Int32] = [:]
        for (id, token) in model.tokens.enumerated() {
            let scalars = token.unicodeScalars
            guard scalars.count == 1, let scalar = scalars.first else { continue }
            if byteLevel, let byte = ByteLevelAlphabet.byte(for: scalar) { symbolIDs[Int(byte)] = Int32(id) }
            if !byteLevel, scalarIDs[scalar] == nil { scalarIDs[scalar] = Int32(id) }
        }
        byteSymbolIDs = symbolIDs
        self.scalarIDs = scalarIDs
        byteFallbackIDs = model.byteFallback
            ? (0...255).map { ids[Array(String(format: "<0x%02X>", $0).utf8)].map(Int32.init) ?? -1 } : nil
        unknownID = model.unknownToken.flatMap { ids[Array($0.utf8)] }.map(Int32.init)
        fusesUnknown = model.fusesUnknown
        if model.ignoresMerges {
            var whole: [[UInt8]: Int32] = [:]
            for (id, token) in model.tokens.enumerated() {
                let key = byteLevel ? ByteLevelAlphabet.bytes(of: token) : Array(token.utf8)
                if let key, whole[key] == nil { whole[key] = Int32(id) }
            }
            wholePreTokenIDs = whole
        } else {
            wholePreTokenIDs = nil
        }
        merger = BytePairMerger(merges: model.merges)
    }

    func appendIDs(of preToken: [UInt8], to ids: inout [Int]) {
        if byteLevel, preToken.count == 1, case let id = byteSymbolIDs[Int(preToken[0])], id >= 0 {
            ids.append(Int(id))
        } else if let id = wholePreTokenIDs?[preToken] {
            ids.append(Int(id))
        } else if let cached = cache.ids(for: preToken) {
            ids.append(contentsOf: cached.lazy.map(Int.init))
        } else {
            let merged = merger.merged(symbols(of: preToken))
            cache.insert(merged, for: preToken)
            ids.append(contentsOf: merged.lazy.map(Int.init))
        }
    }

    /// The pre-token's scalars as token ids, before merging.
    private func symbols(of preToken: [UInt8]) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(preToken.count)
        // A pending unknown token: tokenizers adds it only when a known scalar or the end
        // comes, so byte-fallback tokens in between go before it.
        var pendingUnknown = false
        func unknown() {
            guard let unknownID else { return }
            if pendingUnknown, !fusesUnknown { symbols.append(unknownID) }
            pendingUnknown = true
        }
        func known(_ id: Int32) {
            if pendingUnknown, let unknownID { symbols.append(unknownID) }
            pendingUnknown = false
            symbols.append(id)
        }
        func fallBack(_ bytes: some Collection<UInt8>) -> Bool {
            guard let byteFallbackIDs, bytes.allSatisfy({ byteFallbackIDs[Int($0)] >= 0 }) else { return false }
            for byte in bytes { symbols.append(byteFallbackIDs[Int(byte)]) }
            return true
        }
        if byteLevel {
            for byte in preToken {
                let id = byteSymbolIDs[Int(byte)]
                if id >= 0 { known(id) } else if !fallBack(Array(String(ByteLevelAlphabet.scalars[Int(byte)]).utf8)) { unknown() }
            }
        } else {
            var start = 0
            for scalar in String(decoding: preToken, as: UTF8.self).unicodeScalars {
                let width = UTF8.width(scalar)
                if let id = scalarIDs[scalar] { known(id) } else if !fallBack(preToken[start..<(start + width)]) { unknown() }
                start += width
            }
        }
        if pendingUnknown, let unknownID { symbols.append(unknownID) }
        return symbols
    }
}
