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

    init(json: JSONField, vocabularySize: Int) throws {
        var specialTokens: [SpecialToken] = []
        for (name, entry) in try json.required("special_tokens").members() {
            let ids = try entry.required("ids").array().map { idField in
                let id = try idField.integer()
                guard (0..<vocabularySize).contains(id) else { throw idField.invalid("is \(id), outside the vocabulary (0..<\(vocabularySize))") }
                return id
            }
            specialTokens.append(.init(name: name, ids: ids, tokens: try entry.required("tokens").array().map { try $0.string() }))
        }
        func pieces(_ field: JSONField?) throws -> [Piece] {
            try (field?.array() ?? []).map { element in
                if let sequence = element.member("Sequence") {
                    let nameField = try sequence.required("id")
                    let name = try nameField.string()
                    guard name == "A" || name == "B" else { throw nameField.invalid("must be \"A\" or \"B\"") }
                    return .sequence(name: name, typeID: try sequence.integer("type_id", default: 0))
                }
                if let special = element.member("SpecialToken") {
                    let nameField = try special.required("id")
                    let name = try nameField.string()
                    guard specialTokens.contains(where: { $0.name == name }) else {
                        throw nameField.invalid("names \"\(name)\", which is not in special_tokens")
                    }
                    return .specialToken(name: name, typeID: try special.integer("type_id", default: 0))
                }
                throw element.invalid("must be {\"Sequence\": …} or {\"SpecialToken\": …}")
            }
        }
        let singleField = try json.required("single")
        single = try pieces(singleField)
        for (index, piece) in single.enumerated() {
            if case .sequence(let name, _) = piece, name != "A" {
                throw TokenizerError.unsupported(file: json.file, field: "\(singleField.path)[\(index)]", value: "$\(name)",
                                                 reason: "a single-sequence template holds $A only")
            }
        }
        pair = try pieces(json.member("pair"))
        self.specialTokens = specialTokens
    }

    var json: HeaderJSONValue {
        func pieces(_ pieces: [Piece]) -> HeaderJSONValue {
            .array(pieces.map { piece in
                switch piece {
                case .sequence(let name, let typeID):
                    .fields(["Sequence": .fields(["id": .string(name), "type_id": .integer(typeID)])])
                case .specialToken(let name, let typeID):
                    .fields(["SpecialToken": .fields(["id": .string(name), "type_id": .integer(typeID)])])
                }
            })
        }
        // tokenizers writes special_tokens sorted by name.
        let sorted = specialTokens.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        return .fields([
            "type": .string("TemplateProcessing"),
            "single": pieces(single),
            "pair": pieces(pair),
            "special_tokens": .object(sorted.map { token in
                HeaderJSONMember(key: token.name, value: .fields([
                    "id": .string(token.name), "ids": .array(token.ids.map(HeaderJSONValue.integer)),
                    "tokens": .array(token.tokens.map { .string($0) }),
                ]))
            }),
        ])
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
