/// Writes a `TokenizerDefinition` as tokenizer.json, laid out as tokenizers'
/// `save(path, pretty=True)` lays it out (key order, two-space indentation, serde_json's
/// escaping, vocabulary in id order, merges as pairs), so that tokenizers reads the file and
/// saves it back byte for byte. Fields that only affect offsets get tokenizers' defaults.
enum TokenizerWriter {
    static func json(_ definition: TokenizerDefinition) -> [UInt8] {
        var text = ""
        write(document(definition), indentation: "", to: &text)
        return Array(text.utf8)
    }

    private static func document(_ definition: TokenizerDefinition) -> HeaderJSONValue {
        object([
            ("version", .string("1.0")),
            ("truncation", .null),
            ("padding", .null),
            ("added_tokens", .array(definition.addedTokens.sorted { $0.id < $1.id }.map(addedToken))),
            ("normalizer", definition.normalizesToNFC ? object([("type", .string("NFC"))]) : .null),
            ("pre_tokenizer", preTokenizer(definition.preTokenizer)),
            ("post_processor", sequence(definition.postProcessor.map(postProcessorStep), key: "processors")),
            ("decoder", byteLevel(addPrefixSpace: true, trimOffsets: true, useRegex: true)),
            ("model", object([
                ("type", .string("BPE")),
                ("dropout", .null),
                ("unk_token", .null),
                ("continuing_subword_prefix", .null),
                ("end_of_word_suffix", .null),
                ("fuse_unk", .bool(false)),
                ("byte_fallback", .bool(false)),
                ("ignore_merges", .bool(definition.ignoresMerges)),
                ("vocab", object(definition.modelTokens.enumerated().map { ($1, number($0)) })),
                ("merges", .array(definition.merges.map { merge in
                    .array([.string(definition.modelTokens[merge.left]), .string(definition.modelTokens[merge.right])])
                })),
            ])),
        ])
    }

    private static func addedToken(_ token: AddedToken) -> HeaderJSONValue {
        object([
            ("id", number(token.id)),
            ("content", .string(token.content)),
            ("single_word", .bool(token.isSingleWord)),
            ("lstrip", .bool(token.stripsLeft)),
            ("rstrip", .bool(token.stripsRight)),
            ("normalized", .bool(token.isNormalized)),
            ("special", .bool(token.isSpecial)),
        ])
    }

    private static func preTokenizer(_ preTokenizer: PreTokenizer) -> HeaderJSONValue {
        let steps = preTokenizer.steps.map { step -> HeaderJSONValue in
            switch step {
            case .split(let pattern):
                object([
                    ("type", .string("Split")),
                    ("pattern", object([("Regex", .string(pattern.rawValue))])),
                    ("behavior", .string("Isolated")),
                    ("invert", .bool(false)),
                ])
            case .digits(let individually):
                object([("type", .string("Digits")), ("individual_digits", .bool(individually))])
            }
        }
        let byteLevel = byteLevel(addPrefixSpace: preTokenizer.addsPrefixSpace, trimOffsets: true,
                                  useRegex: preTokenizer.splitsWithGPT2Pattern)
        return sequence(steps + [byteLevel], key: "pretokenizers")
    }

    private static func postProcessorStep(_ step: PostProcessorStep) -> HeaderJSONValue {
        switch step {
        case .byteLevel:
            return byteLevel(addPrefixSpace: true, trimOffsets: false, useRegex: true)
        case .template(let template):
            func pieces(_ pieces: [TemplateProcessing.Piece]) -> HeaderJSONValue {
                .array(pieces.map { piece in
                    switch piece {
                    case .sequence(let name, let typeID):
                        object([("Sequence", object([("id", .string(name)), ("type_id", number(typeID))]))])
                    case .specialToken(let name, let typeID):
                        object([("SpecialToken", object([("id", .string(name)), ("type_id", number(typeID))]))])
                    }
                })
            }
            // tokenizers writes special_tokens sorted by name.
            let specialTokens = template.specialTokens.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
            return object([
                ("type", .string("TemplateProcessing")),
                ("single", pieces(template.single)),
                ("pair", pieces(template.pair)),
                ("special_tokens", object(specialTokens.map { token in
                    (token.name, object([
                        ("id", .string(token.name)),
                        ("ids", .array(token.ids.map(number))),
                        ("tokens", .array(token.tokens.map { .string($0) })),
                    ]))
                })),
            ])
        }
    }

    private static func byteLevel(addPrefixSpace: Bool, trimOffsets: Bool, useRegex: Bool) -> HeaderJSONValue {
        object([
            ("type", .string("ByteLevel")),
            ("add_prefix_space", .bool(addPrefixSpace)),
            ("trim_offsets", .bool(trimOffsets)),
            ("use_regex", .bool(useRegex)),
        ])
    }

    /// Nothing as null, one element as itself, more as a `Sequence` with the list under `key`.
    private static func sequence(_ elements: [HeaderJSONValue], key: String) -> HeaderJSONValue {
        switch elements.count {
        case 0: .null
        case 1: elements[0]
        default: object([("type", .string("Sequence")), (key, .array(elements))])
        }
    }

    private static func object(_ members: [(String, HeaderJSONValue)]) -> HeaderJSONValue {
        .object(members.map { HeaderJSONMember(key: $0, value: $1) })
    }

    private static func number(_ value: Int) -> HeaderJSONValue {
        .number(String(value))
    }

    /// serde_json's pretty printer: members and elements one per line, `[]` and `{}` when empty.
    private static func write(_ value: HeaderJSONValue, indentation: String, to text: inout String) {
        let inner = indentation + "  "
        switch value {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .number(let literal): text += literal
        case .string(let string): JSONStringLiteral.append(string, to: &text)
        case .array(let elements):
            guard !elements.isEmpty else { return text += "[]" }
            text += "[\n"
            for (index, element) in elements.enumerated() {
                text += inner
                write(element, indentation: inner, to: &text)
                text += index == elements.count - 1 ? "\n" : ",\n"
            }
            text += indentation + "]"
        case .object(let members):
            guard !members.isEmpty else { return text += "{}" }
            text += "{\n"
            for (index, member) in members.enumerated() {
                text += inner
                JSONStringLiteral.append(member.key, to: &text)
                text += ": "
                write(member.value, indentation: inner, to: &text)
                text += index == members.count - 1 ? "\n" : ",\n"
            }
            text += indentation + "}"
        }
    }
}
