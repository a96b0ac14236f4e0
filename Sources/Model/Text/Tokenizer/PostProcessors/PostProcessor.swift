/// tokenizer.json's `post_processor`: what `encode(_:addSpecialTokens: true)` adds around the
/// ids, its steps in file order (a `Sequence` flattened). `ByteLevel` only trims offsets,
/// which Lethe does not compute, so only a template changes ids. Others (`RobertaProcessing`,
/// `BertProcessing`) are refused.
struct PostProcessor: Equatable, Sendable {
    enum Step: Equatable, Sendable {
        /// ByteLevel's flags, kept to be written back.
        case byteLevel(addsPrefixSpace: Bool, trimsOffsets: Bool, usesRegex: Bool)
        case template(TemplateProcessing)
    }

    var steps: [Step]

    init(steps: [Step]) {
        self.steps = steps
    }

    init(json: JSONField?, vocabularySize: Int) throws {
        steps = []
        guard let json else { return }
        try read(json, vocabularySize: vocabularySize)
    }

    private mutating func read(_ json: JSONField, vocabularySize: Int) throws {
        let (name, tag) = try json.typeTag()
        switch name {
        case "ByteLevel":
            steps.append(.byteLevel(addsPrefixSpace: try json.flag("add_prefix_space", default: true),
                                    trimsOffsets: try json.flag("trim_offsets", default: true),
                                    usesRegex: try json.flag("use_regex", default: true)))
        case "TemplateProcessing":
            steps.append(.template(try TemplateProcessing(json: json, vocabularySize: vocabularySize)))
        case "Sequence":
            for element in try json.required("processors").array() { try read(element, vocabularySize: vocabularySize) }
        default:
            throw tag.unsupported("Lethe implements the post-processors TemplateProcessing, ByteLevel and Sequence")
        }
    }

    var json: HeaderJSONValue {
        let elements = steps.map { step -> HeaderJSONValue in
            switch step {
            case .byteLevel(let addsPrefixSpace, let trimsOffsets, let usesRegex):
                ByteLevelPreTokenizer.json(addsPrefixSpace: addsPrefixSpace, trimsOffsets: trimsOffsets, usesRegex: usesRegex)
            case .template(let template): template.json
            }
        }
        switch elements.count {
        case 0: return .null
        case 1: return elements[0]
        default: return .fields(["type": .string("Sequence"), "processors": .array(elements)])
        }
    }

    /// Whether a template decides the special tokens (else tokenizer_config.json's flags do).
    var hasTemplate: Bool {
        steps.contains { if case .template = $0 { true } else { false } }
    }

    /// `ids` with each template applied in turn, as tokenizers' `Sequence` does.
    func apply(to ids: [Int]) -> [Int] {
        steps.reduce(ids) { ids, step in
            if case .template(let template) = step { template.apply(to: ids) } else { ids }
        }
    }
}
