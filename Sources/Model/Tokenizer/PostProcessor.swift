/// A step of tokenizer.json's `post_processor`, which decides what
/// `encode(_:addSpecialTokens: true)` adds around the ids. `ByteLevel` only trims offsets,
/// which Lethe does not compute, so only a template changes ids.
enum PostProcessorStep: Equatable, Sendable {
    case byteLevel
    case template(TemplateProcessing)

    var template: TemplateProcessing? {
        if case .template(let template) = self { template } else { nil }
    }
}

/// `TemplateProcessing`: the special tokens placed around a sequence, e.g. `<s> $A`.
struct TemplateProcessing: Equatable, Sendable {
    enum Piece: Equatable, Sendable {
        /// `$A` or `$B`: the encoded text.
        case sequence(name: String, typeID: Int)
        /// A name from `specialTokens`.
        case specialToken(name: String, typeID: Int)
    }

    struct SpecialToken: Equatable, Sendable {
        var name: String
        var ids: [Int]
        var tokens: [String]
    }

    var single: [Piece]
    /// The template for sentence pairs, kept to be written back; Lethe encodes single texts.
    var pair: [Piece]
    var specialTokens: [SpecialToken]

    /// `[BOS] $A [EOS]` with the flags as given, which is what transformers builds from
    /// tokenizer_config.json's `add_bos_token` and `add_eos_token`.
    init(bos: SpecialToken?, eos: SpecialToken?) {
        let around = { (typeID: Int) -> (before: [Piece], after: [Piece]) in
            (bos.map { [.specialToken(name: $0.name, typeID: typeID)] } ?? [],
             eos.map { [.specialToken(name: $0.name, typeID: typeID)] } ?? [])
        }
        let first = around(0), second = around(1)
        single = first.before + [.sequence(name: "A", typeID: 0)] + first.after
        pair = single + second.before + [.sequence(name: "B", typeID: 1)] + second.after
        specialTokens = [bos, eos].compactMap { $0 }
    }

    init(single: [Piece], pair: [Piece], specialTokens: [SpecialToken]) {
        self.single = single
        self.pair = pair
        self.specialTokens = specialTokens
    }

    /// The single-sequence template filled with `ids`.
    func apply(to ids: [Int]) -> [Int] {
        single.flatMap { piece -> [Int] in
            switch piece {
            case .sequence: ids
            case .specialToken(let name, _): specialTokens.first { $0.name == name }?.ids ?? []
            }
        }
    }
}
