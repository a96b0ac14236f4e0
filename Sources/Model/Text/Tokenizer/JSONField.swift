import Foundation

/// A value read from a JSON file together with its place in it, so that every complaint
/// names the file and the field, e.g. `pre_tokenizer.pretokenizers[1].pattern`.
///
/// Files are parsed with `HeaderJSONParser`, the module's strict RFC 8259 parser (written
/// for safetensors headers, nothing in it is specific to them): it reads a 10 MB
/// tokenizer.json ten times faster than `JSONDecoder` and keeps object members in file order.
/// A repeated key is read as serde_json (which tokenizers uses) reads it: the later value
/// wins. Keys are compared by bytes, so canonically equivalent keys (Llama 2's vocabulary has
/// `ά` both precomposed and decomposed) stay two keys.
struct JSONField {
    let value: HeaderJSONValue
    let file: String
    let path: String

    /// The document in `url`, which must be a JSON object.
    static func document(contentsOf url: URL) throws -> JSONField {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let bytes = [UInt8](data)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw TokenizerError.invalidJSON(file: url.path, reason: "it is not UTF-8")
        }
        let parsed = bytes.withUnsafeBytes { buffer in
            Result { () throws(HeaderJSONError) in try HeaderJSONParser.parseObject(buffer, repeatedKeys: .laterWins) }
        }
        switch parsed {
        case .success(let members):
            return JSONField(value: .object(members), file: url.path, path: "")
        case .failure(.syntax(let byteOffset)):
            throw TokenizerError.invalidJSON(file: url.path, reason: "parsing failed at byte \(byteOffset) (the document must be one object)")
        case .failure(.duplicateKey):
            preconditionFailure("the parser keeps the later of repeated keys")
        }
    }

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// The member named `key`, or nil when it is absent or null.
    func member(_ key: String) -> JSONField? {
        // By bytes: Swift's == would also match a canonically equivalent key.
        guard case .object(let members) = value, let member = members.first(where: { $0.key.utf8.elementsEqual(key.utf8) }) else {
            return nil
        }
        let field = JSONField(value: member.value, file: file, path: path.isEmpty ? key : "\(path).\(key)")
        return field.isNull ? nil : field
    }

    func required(_ key: String) throws -> JSONField {
        guard let field = member(key) else {
            throw TokenizerError.missingField(file: file, field: path.isEmpty ? key : "\(path).\(key)")
        }
        return field
    }

    func string() throws -> String {
        guard case .string(let text) = value else { throw invalid("must be a string") }
        return text
    }

    func bool() throws -> Bool {
        guard case .bool(let flag) = value else { throw invalid("must be true or false") }
        return flag
    }

    func integer() throws -> Int {
        guard case .number(let literal) = value, let number = Int(literal) else { throw invalid("must be an integer") }
        return number
    }

    func number() throws -> Double {
        guard case .number(let literal) = value, let number = Double(literal) else { throw invalid("must be a number") }
        return number
    }

    func array() throws -> [JSONField] {
        guard case .array(let elements) = value else { throw invalid("must be an array") }
        return elements.enumerated().map { JSONField(value: $1, file: file, path: "\(path)[\($0)]") }
    }

    /// The object's members in file order.
    func members() throws -> [(key: String, field: JSONField)] {
        guard case .object(let members) = value else { throw invalid("must be an object") }
        return members.map { ($0.key, JSONField(value: $0.value, file: file, path: path.isEmpty ? $0.key : "\(path).\($0.key)")) }
    }

    /// The boolean member `key`, or `defaultValue` when it is absent or null.
    func flag(_ key: String, default defaultValue: Bool) throws -> Bool {
        try member(key)?.bool() ?? defaultValue
    }

    /// The member `key` as an integer, or `defaultValue` when it is absent or null.
    func integer(_ key: String, default defaultValue: Int) throws -> Int {
        try member(key)?.integer() ?? defaultValue
    }

    /// The member `key` as a string of exactly one Unicode scalar (a Rust `char`).
    func scalar(_ key: String) throws -> Unicode.Scalar {
        let field = try required(key)
        let text = try field.string()
        guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else { throw field.invalid("must be one character") }
        return scalar
    }

    /// The `type` tag that chooses a component, e.g. `"NFC"`.
    func typeTag() throws -> (name: String, field: JSONField) {
        let field = try required("type")
        return (try field.string(), field)
    }

    func invalid(_ reason: String) -> TokenizerError {
        .invalidField(file: file, field: path, reason: reason)
    }

    /// This field's value is understood but not implemented; `reason` says what is.
    func unsupported(_ reason: String) -> TokenizerError {
        .unsupported(file: file, field: path, value: literal, reason: reason)
    }

    /// The value as it would be written in JSON, shortened for messages.
    var literal: String {
        switch value {
        case .string(let text): "\"\(text.count > 80 ? text.prefix(80) + "…" : text)\""
        case .number(let text): text
        case .bool(let flag): String(flag)
        case .null: "null"
        case .array: "[…]"
        case .object: "{…}"
        }
    }
}

extension HeaderJSONValue {
    /// An object with `members` in the order given, as tokenizers writes its components.
    static func fields(_ members: KeyValuePairs<String, HeaderJSONValue>) -> HeaderJSONValue {
        .object(members.map { HeaderJSONMember(key: $0, value: $1) })
    }

    static func integer(_ value: Int) -> HeaderJSONValue {
        .number(String(value))
    }
}
