/// tokenizer.json's `decoder`: turns the tokens of the ids back into text, as tokenizers'
/// `decode_chain` does: each component maps the list of token strings to a new list, and
/// the final list is joined. One component per file beside this one, chosen by `type`.
indirect enum TokenDecoder: Equatable, Sendable {
    case byteLevel(ByteLevelDecoder)
    case metaspace(MetaspaceDecoder)
    case replace(ReplaceDecoder)
    case byteFallback(ByteFallbackDecoder)
    case fuse(FuseDecoder)
    case strip(StripDecoder)
    case sequence([TokenDecoder])

    init(json: JSONField) throws {
        let (name, tag) = try json.typeTag()
        switch name {
        case "ByteLevel": self = .byteLevel(try ByteLevelDecoder(json: json))
        case "Metaspace": self = .metaspace(try MetaspaceDecoder(json: json))
        case "Replace": self = .replace(try ReplaceDecoder(json: json))
        case "ByteFallback": self = .byteFallback(ByteFallbackDecoder())
        case "Fuse": self = .fuse(FuseDecoder())
        case "Strip": self = .strip(try StripDecoder(json: json))
        case "Sequence": self = .sequence(try json.required("decoders").array().map(TokenDecoder.init(json:)))
        default:
            throw tag.unsupported("Lethe implements the decoders ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip and Sequence")
        }
    }

    var json: HeaderJSONValue {
        switch self {
        case .byteLevel(let decoder): decoder.json
        case .metaspace(let decoder): decoder.json
        case .replace(let decoder): decoder.json
        case .byteFallback(let decoder): decoder.json
        case .fuse(let decoder): decoder.json
        case .strip(let decoder): decoder.json
        case .sequence(let decoders): .fields(["type": .string("Sequence"), "decoders": .array(decoders.map(\.json))])
        }
    }

    func decode(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel(let decoder): decoder.decode(tokens)
        case .metaspace(let decoder): decoder.decode(tokens)
        case .replace(let decoder): decoder.decode(tokens)
        case .byteFallback(let decoder): decoder.decode(tokens)
        case .fuse(let decoder): decoder.decode(tokens)
        case .strip(let decoder): decoder.decode(tokens)
        case .sequence(let decoders): decoders.reduce(tokens) { $1.decode($0) }
        }
    }

    /// What one token stands for on its own in decoded text, as bytes (a byte token's byte
    /// may be part of a UTF-8 character): the components that map a token to text by itself
    /// in order (ByteLevel, ByteFallback, Replace, Metaspace as for a token after the first);
    /// Fuse and Strip, which act on neighbours and ends, are left out.
    func bytes(ofToken token: String) -> [UInt8] {
        var text = token
        for component in components {
            switch component {
            case .byteLevel: return ByteLevelAlphabet.bytes(of: text) ?? Array(text.utf8)
            case .byteFallback: if let byte = ByteFallbackDecoder.byte(of: text) { return [byte] }
            case .replace(let decoder): text = decoder.decode([text])[0]
            case .metaspace(let decoder): text = decoder.decode(["", text])[1]
            case .fuse, .strip, .sequence: continue
            }
        }
        return Array(text.utf8)
    }

    /// The components in order, sequences flattened.
    private var components: [TokenDecoder] {
        if case .sequence(let decoders) = self { decoders.flatMap(\.components) } else { [self] }
    }
}
