import Foundation

/// The special tokens a model folder names outside tokenizer.json: `bos_token`, `eos_token`
/// (a string or `{"content": …}`), `add_bos_token` and `add_eos_token` in
/// tokenizer_config.json; `bos_token_id` and `eos_token_id` (one id or a list) in config.json.
struct SpecialTokenSettings {
    /// tokenizer_config.json's BOS, else config.json's.
    var bosTokenID: Int?
    /// Every EOS either file names: generation stops at any of them.
    var eosTokenIDs: Set<Int> = []
    /// `[BOS] $A [EOS]` as `add_bos_token` and `add_eos_token` ask, or nil when neither does.
    var template: TemplateProcessing?

    init() {}

    init(tokenizerConfig: URL?, modelConfig: URL?, vocabulary: TokenVocabulary) throws {
        var bos: TemplateProcessing.SpecialToken?, eos: TemplateProcessing.SpecialToken?
        if let tokenizerConfig {
            let config = try JSONField.document(contentsOf: tokenizerConfig)
            func specialToken(_ key: String) throws -> TemplateProcessing.SpecialToken? {
                guard let field = config.member(key) else { return nil }
                let name = try (field.member("content") ?? field).string()
                guard let id = vocabulary.id(for: name) else { throw field.invalid("is \"\(name)\", which is not in the vocabulary") }
                return TemplateProcessing.SpecialToken(name: name, ids: [id], tokens: [name])
            }
            bos = try specialToken("bos_token")
            eos = try specialToken("eos_token")
            // transformers drops a flag whose token is not set.
            let addsBOS = try config.flag("add_bos_token", default: false) && bos != nil
            let addsEOS = try config.flag("add_eos_token", default: false) && eos != nil
            if addsBOS || addsEOS { template = TemplateProcessing(bos: addsBOS ? bos : nil, eos: addsEOS ? eos : nil) }
        }
        bosTokenID = bos?.ids.first
        eosTokenIDs = Set(eos?.ids ?? [])
        if let modelConfig {
            let config = try JSONField.document(contentsOf: modelConfig)
            func tokenID(_ field: JSONField) throws -> Int {
                let id = try field.integer()
                guard id >= 0 else { throw field.invalid("is \(id); token ids are not negative") }
                return id
            }
            if bosTokenID == nil, let field = config.member("bos_token_id") { bosTokenID = try tokenID(field) }
            if let field = config.member("eos_token_id") {
                let ids = if case .array = field.value { try field.array().map(tokenID) } else { [try tokenID(field)] }
                eosTokenIDs.formUnion(ids)
            }
        }
    }
}
