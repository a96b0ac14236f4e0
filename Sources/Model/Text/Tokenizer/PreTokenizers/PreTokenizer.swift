/// tokenizer.json's `pre_tokenizer`: cuts the normalized text into pre-tokens, each of which
/// the model encodes on its own. The steps run in file order, each on every piece of the
/// previous (a `Sequence` flattened); `ByteLevel`, when present, comes last (the model then
/// reads each pre-token as bytes in GPT-2's alphabet). One component per file beside this
/// one, chosen by `type`.
struct PreTokenizer: Equatable, Sendable {
    enum Step: Equatable, Sendable {
        case split(SplitPreTokenizer)
        case digits(DigitsPreTokenizer)
        case metaspace(MetaspacePreTokenizer)
    }

    var steps: [Step]
    var byteLevel: ByteLevelPreTokenizer?

    /// GPT-2's setup, which the trainer uses: ByteLevel alone, splitting, no prefix space.
    static let gpt2 = PreTokenizer(steps: [], byteLevel: ByteLevelPreTokenizer(addsPrefixSpace: false, splitsWithGPT2Pattern: true))

    init(steps: [Step], byteLevel: ByteLevelPreTokenizer?) {
        self.steps = steps
        self.byteLevel = byteLevel
    }

    /// `json` null means none: the whole text is one pre-token.
    init(json: JSONField?) throws {
        steps = []
        byteLevel = nil
        guard let json else { return }
        try read(json)
    }

    private mutating func read(_ json: JSONField) throws {
        let (name, tag) = try json.typeTag()
        if byteLevel != nil, name != "Sequence" {
            throw tag.unsupported("it comes after ByteLevel, which Lethe implements as the last pre-tokenizer")
        }
        switch name {
        case "Sequence": for element in try json.required("pretokenizers").array() { try read(element) }
        case "ByteLevel": byteLevel = try ByteLevelPreTokenizer(json: json)
        case "Split": steps.append(.split(try SplitPreTokenizer(json: json)))
        case "Digits": steps.append(.digits(try DigitsPreTokenizer(json: json)))
        case "Metaspace": steps.append(.metaspace(try MetaspacePreTokenizer(json: json)))
        default:
            throw tag.unsupported("Lethe implements the pre-tokenizers ByteLevel, Split, Digits, Metaspace and Sequence")
        }
    }

    var json: HeaderJSONValue {
        var elements: [HeaderJSONValue] = steps.map { step in
            switch step {
            case .split(let split): split.json
            case .digits(let digits): digits.json
            case .metaspace(let metaspace): metaspace.json
            }
        }
        if let byteLevel { elements.append(byteLevel.json) }
        switch elements.count {
        case 0: return .null
        case 1: return elements[0]
        default: return .fields(["type": .string("Sequence"), "pretokenizers": .array(elements)])
        }
    }

    /// Calls `body` with each pre-token of `text`, in order: its UTF-8, or with ByteLevel the
    /// bytes its alphabet scalars stand for. `startsInput`: `text` begins the encoded text
    /// (no added token before it), which Metaspace's `prepend_scheme: "first"` asks.
    func forEachPreToken(of text: [Unicode.Scalar], startsInput: Bool, _ body: ([UInt8]) -> Void) {
        var pieces = PreTokenizedText(scalars: text, startsInput: startsInput)
        for step in steps {
            switch step {
            case .split(let split): pieces.refine(split.split)
            case .digits(let digits): pieces.refine(digits.split)
            case .metaspace(let metaspace): metaspace.preTokenize(&pieces)
            }
        }
        if let byteLevel {
            byteLevel.forEachPreToken(of: pieces, body)
            return
        }
        var bytes: [UInt8] = []
        for piece in pieces.pieces where !piece.isEmpty {
            bytes.removeAll(keepingCapacity: true)
            for scalar in pieces.scalars[piece] { UTF8.encode(scalar) { bytes.append($0) } }
            body(bytes)
        }
    }
}

/// Text being cut into pre-tokens: one scalar array and its pieces, ranges of it in order.
struct PreTokenizedText {
    var scalars: [Unicode.Scalar]
    var pieces: [Range<Int>]
    /// Whether `scalars` begins the encoded text.
    var startsInput: Bool

    init(scalars: [Unicode.Scalar], startsInput: Bool) {
        self.scalars = scalars
        pieces = scalars.isEmpty ? [] : [scalars.indices]
        self.startsInput = startsInput
    }

    /// Each piece replaced by the pieces `split` appends for it.
    mutating func refine(_ split: (ArraySlice<Unicode.Scalar>, inout [Range<Int>]) -> Void) {
        var refined: [Range<Int>] = []
        refined.reserveCapacity(pieces.count)
        for piece in pieces { split(scalars[piece], &refined) }
        pieces = refined
    }
}
