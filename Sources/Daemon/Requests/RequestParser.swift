import Foundation
import Model
import Store
import Unlearning

/// Turns the bytes of a spool file into a validated `SpoolRequest`, or a `RequestError` that
/// names the file, the field and the fault. The file is untrusted: its size and encoding are
/// checked before it is parsed, its JSON is read strictly (`StrictJSONReader`), every field is
/// checked after, and nothing in it is ever used as a path. A name ending in `.jsonl` is the
/// bulk format: one forget item per line.
///
/// An error never carries the file's content, because the error file is readable by the spool's
/// group and a request can be any file its submitter could link in: the reason describes the
/// fault in words, and the field path holds only indexes and the request format's own key names.
public struct RequestParser: Sendable {
    public var limits: RequestLimits
    public var policy: RequestPolicy

    public init(limits: RequestLimits = RequestLimits(), policy: RequestPolicy = RequestPolicy()) {
        self.limits = limits
        self.policy = policy
    }

    /// Reads a file the daemon already accepted (a queued request its job reads again): its
    /// bounds were checked when it was taken in, so a configuration reloaded since then does
    /// not refuse it now.
    public static let accepted = RequestParser(
        limits: RequestLimits(maxFileBytes: 1 << 30, maxItems: 1_000_000, maxTextBytes: 1 << 24, maxDepth: 64, maxLabelBytes: 1 << 20),
        policy: RequestPolicy(allowedMethods: UnlearningMethod.allCases.map(\.rawValue), maxEpochs: 1000, maxLearningRate: 1, maxUtilityDrop: 1))

    /// Letters, digits, '.', '_', '-'; starting with a letter or digit; at most 128.
    public static func isValidID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...128).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static let idRule = "must be 1–128 letters, digits, '.', '_' or '-', starting with a letter or digit"

    public func parse(_ bytes: [UInt8], fileName: String) throws(RequestError) -> SpoolRequest {
        let fail = { (field: String?, reason: String) in RequestError(file: fileName, field: field, reason: reason) }
        guard bytes.count <= limits.maxFileBytes else {
            throw fail(nil, "is \(bytes.count) bytes, more than the limit of \(limits.maxFileBytes)")
        }
        guard !bytes.isEmpty else { throw fail(nil, "is empty") }
        if let offset = bytes.firstIndex(of: 0) { throw fail(nil, "contains a NUL byte at offset \(offset)") }
        if let offset = Self.firstInvalidUTF8(bytes) { throw fail(nil, "is not valid UTF-8 (byte offset \(offset))") }
        let hash = sha256Hex(bytes)
        if fileName.hasSuffix(".jsonl") { return try parseLines(bytes, hash: hash, fail: fail) }

        let document = try read(bytes[...], field: nil, fail: fail)
        guard case .object(let fields) = document else { throw fail(nil, "must hold one JSON object") }
        try requireKnownKeys(fields, Self.requestFields, of: nil, kind: "a request field", fail: fail)
        let id = try fields["id"].map { value throws(RequestError) in
            guard case .string(let id) = value else { throw fail("id", "must be a string") }
            guard Self.isValidID(id) else { throw fail("id", Self.idRule) }
            return id
        } ?? "req-" + hash.prefix(16)
        let submittedBy = try label(fields["submitted_by"], field: "submitted_by", fail: fail) ?? "unknown"
        let reason = try label(fields["reason"], field: "reason", fail: fail) ?? ""

        if let withdraw = fields["withdraw"] {
            for field in ["forget", "retain", "options"] where fields[field] != nil {
                throw fail(field, "a withdraw request cannot also have '\(field)'")
            }
            guard case .array(let entries) = withdraw, !entries.isEmpty else {
                throw fail("withdraw", "must be a non-empty array of item or request ids")
            }
            guard entries.count <= limits.maxItems else {
                throw fail("withdraw", "has \(entries.count) ids, more than the limit of \(limits.maxItems)")
            }
            let ids = try entries.enumerated().map { index, entry throws(RequestError) in
                guard case .string(let target) = entry, Self.isValidReference(target) else {
                    throw fail("withdraw[\(index)]", "must be a request id or REQUEST/ITEM; each part \(Self.idRule)")
                }
                return target
            }
            return .withdraw(WithdrawRequest(id: id, submittedBy: submittedBy, reason: reason, withdraw: ids, contentHash: hash))
        }

        guard let forgetValue = fields["forget"] else { throw fail("forget", "is required: the items to forget") }
        let forget = try items(forgetValue, field: "forget", fail: fail)
        guard !forget.isEmpty else { throw fail("forget", "must not be empty") }
        let retain = try fields["retain"].map { value throws(RequestError) in try items(value, field: "retain", fail: fail) } ?? []
        guard forget.count + retain.count <= limits.maxItems else {
            throw fail(nil, "has \(forget.count + retain.count) items, more than the limit of \(limits.maxItems)")
        }
        let options = try fields["options"].map { value throws(RequestError) in try parseOptions(value, fail: fail) } ?? RequestOptions()
        return .forget(ForgetRequest(id: id, submittedBy: submittedBy, reason: reason, forget: forget, retain: retain, options: options,
                                     contentHash: hash))
    }

    /// A request id, or a request id and an item id joined by '/'.
    static func isValidReference(_ reference: String) -> Bool {
        let parts = reference.split(separator: "/", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { isValidID(String($0)) }
    }

    private func parseLines(_ bytes: [UInt8], hash: String, fail: (String?, String) -> RequestError) throws(RequestError) -> SpoolRequest {
        var forget: [RequestItem] = [], lineNames: [String] = []
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { continue }
            let field = "line \(index + 1)"
            guard forget.count < limits.maxItems else { throw fail(field, "is beyond the limit of \(limits.maxItems) items") }
            let value = try read(line, field: field, fail: fail)
            forget.append(try item(value, field: field, fail: fail))
            lineNames.append(field)
        }
        guard !forget.isEmpty else { throw fail(nil, "has no item lines") }
        try requireDistinctIDs(forget, field: "lines", naming: { lineNames[$0] }, fail: fail)
        return .forget(ForgetRequest(id: "req-" + hash.prefix(16), submittedBy: "unknown", reason: "", forget: forget, retain: [],
                                     options: RequestOptions(), contentHash: hash))
    }

    /// The JSON of a file or of one line of it (`field` names the line), read strictly.
    private func read(_ bytes: ArraySlice<UInt8>, field: String?, fail: (String?, String) -> RequestError) throws(RequestError)
        -> StrictJSONValue {
        do {
            return try StrictJSONReader.read(bytes, maxDepth: limits.maxDepth)
        } catch {
            let (path, isWhole) = Self.shownPath(error.path, under: field)
            // When the path stops short of the value (at a key that is not ours), the reason
            // speaks of what the named field holds.
            let verb = isWhole ? "is" : "holds"
            let at = "at byte offset \(error.offset)"
            let reason = switch error.fault {
            case .expected(let what): "is not valid JSON: expected \(what) \(at)"
            case .endOfText(let what): "is not valid JSON: expected \(what) \(at), where the text ends"
            case .contentAfterTheValue: "is not valid JSON: more follows the end of the value \(at)"
            case .trailingComma: "is not valid JSON: a comma before the closing bracket \(at) (JSON has no trailing commas)"
            case .comment: "is not valid JSON: a comment \(at) (JSON has no comments)"
            case .leadingZero: "is not valid JSON: a number with a leading zero \(at)"
            case .controlCharacterInString: "is not valid JSON: a control character inside a string \(at) (it must be written as an escape)"
            case .invalidEscape: "is not valid JSON: an invalid escape sequence \(at)"
            case .loneSurrogate: "is not valid JSON: a \\u escape of half of a surrogate pair without the other half \(at)"
            case .repeatedKey: "\(verb) a key given twice in one object (the second \(at)); each key may appear once"
            case .tooDeep(let limit): "nests arrays and objects deeper than the limit of \(limit) (\(at))"
            case .numberTooLarge: "\(verb) a number too large for a 64-bit float (\(at))"
            case .numberTooSmall: "\(verb) a number too small for a 64-bit float: it is not 0 but would read as 0 (\(at))"
            }
            throw fail(path, reason)
        }
    }

    static let requestFields = ["id", "submitted_by", "reason", "forget", "retain", "options", "withdraw"]
    static let itemFields = ["id", "prompt", "completion", "text"]
    static let optionFields = ["epochs", "learning_rate", "max_utility_drop", "method"]
    /// The only keys from a file an error may repeat: the format's own names.
    private static let ownKeys = Set(requestFields + itemFields + optionFields)

    /// `path` as an error file may show it, after `prefix` (a line of a bulk file): indexes, and
    /// keys that are the request format's own names, escaped. Any other key is the file's
    /// content, a secret or a forged log line, so the path stops at the object holding it;
    /// `isWhole` says whether it got to the end.
    static func shownPath(_ path: [JSONPathComponent], under prefix: String?) -> (field: String?, isWhole: Bool) {
        var shown = prefix ?? ""
        for component in path {
            switch component {
            case .index(let index): shown += "[\(index)]"
            case .key(let key):
                guard ownKeys.contains(where: { $0.unicodeScalars.elementsEqual(key.unicodeScalars) }) else {
                    return (shown.isEmpty ? nil : shown, false)
                }
                shown += (shown.isEmpty ? "" : ".") + SafeText.escaped(key, limit: 64)
            }
        }
        return (shown.isEmpty ? nil : shown, true)
    }

    /// Refuses the first key of `object` that is not one of `known`, named by its offset: a key
    /// that is not ours is content, and is not repeated (`shownPath`), unless it is one of the
    /// format's names used in the wrong place.
    private func requireKnownKeys(_ object: StrictJSONObject, _ known: [String], of field: String?, kind: String,
                                  fail: (String?, String) -> RequestError) throws(RequestError) {
        guard let unknown = object.firstMember(notIn: known) else { return }
        let knownList = "known: \(known.sorted().joined(separator: ", "))"
        let (path, isWhole) = Self.shownPath([.key(unknown.key)], under: field)
        if isWhole { throw fail(path, "is not \(kind) (\(knownList))") }
        throw fail(path, "has a key that is not \(kind), at byte offset \(unknown.offset) (\(knownList))")
    }

    private func label(_ value: StrictJSONValue?, field: String, fail: (String?, String) -> RequestError) throws(RequestError) -> String? {
        guard let value else { return nil }
        guard case .string(let text) = value else { throw fail(field, "must be a string") }
        guard text.utf8.count <= limits.maxLabelBytes else {
            throw fail(field, "is \(text.utf8.count) bytes, more than the limit of \(limits.maxLabelBytes)")
        }
        return text
    }

    private func items(_ value: StrictJSONValue, field: String, fail: (String?, String) -> RequestError) throws(RequestError) -> [RequestItem] {
        guard case .array(let entries) = value else { throw fail(field, "must be an array of items") }
        guard entries.count <= limits.maxItems else {
            throw fail(field, "has \(entries.count) items, more than the limit of \(limits.maxItems)")
        }
        let parsed = try entries.enumerated().map { index, entry throws(RequestError) in try item(entry, field: "\(field)[\(index)]", fail: fail) }
        try requireDistinctIDs(parsed, field: field, naming: { "\(field)[\($0)]" }, fail: fail)
        return parsed
    }

    /// Names the two items by position, not by id: an explicit id is the file's content.
    private func requireDistinctIDs(_ items: [RequestItem], field: String, naming name: (Int) -> String,
                                    fail: (String?, String) -> RequestError) throws(RequestError) {
        var first: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            if let earlier = first[item.id] {
                throw fail(field, "has two items with the same id, \(name(earlier)) and \(name(index)) (the same content, or the same explicit id)")
            }
            first[item.id] = index
        }
    }

    /// `{"prompt": ..., "completion": ...}` or `{"text": ...}`, with an optional `id`.
    private func item(_ value: StrictJSONValue, field: String, fail: (String?, String) -> RequestError) throws(RequestError) -> RequestItem {
        guard case .item(let content) = try dataSetItem(value, field: field, promptAlone: false, fail: fail) else {
            preconditionFailure("a prompt alone is refused unless promptAlone")
        }
        let id: String
        if case .object(let fields) = value, let value = fields["id"] {
            guard case .string(let explicit) = value, Self.isValidID(explicit) else { throw fail("\(field).id", Self.idRule) }
            id = explicit
        } else {
            id = "item-" + Self.fingerprint(content).prefix(12)
        }
        return RequestItem(id: id, content: content)
    }

    /// A retain or utility set (a configuration's JSONL file): one item a line, in the request
    /// item schema; a utility set's line may also be a prompt alone. Errors name the file and line.
    public func dataSet(_ bytes: [UInt8], fileName: String, promptAlone: Bool) throws(RequestError) -> [DataSetItem] {
        let fail = { (field: String?, reason: String) in RequestError(file: fileName, field: field, reason: reason) }
        if let offset = bytes.firstIndex(of: 0) { throw fail(nil, "contains a NUL byte at offset \(offset)") }
        if let offset = Self.firstInvalidUTF8(bytes) { throw fail(nil, "is not valid UTF-8 (byte offset \(offset))") }
        var items: [DataSetItem] = []
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { continue }
            let field = "line \(index + 1)"
            items.append(try dataSetItem(try read(line, field: field, fail: fail), field: field, promptAlone: promptAlone, fail: fail))
        }
        guard !items.isEmpty else { throw fail(nil, "has no item lines") }
        return items
    }

    /// An item's content; with `promptAlone`, `{"prompt": ...}` is a prompt to be answered.
    private func dataSetItem(_ value: StrictJSONValue, field: String, promptAlone: Bool,
                             fail: (String?, String) -> RequestError) throws(RequestError) -> DataSetItem {
        guard case .object(let fields) = value else {
            throw fail(field, "must be an object with \"prompt\" and \"completion\", or with \"text\"")
        }
        try requireKnownKeys(fields, Self.itemFields, of: field, kind: "an item field", fail: fail)
        func text(_ key: String) throws(RequestError) -> String? {
            guard let value = fields[key] else { return nil }
            guard case .string(let string) = value else { throw fail("\(field).\(key)", "must be a string") }
            guard !Self.isBlank(string) else {
                throw fail("\(field).\(key)", "must not be empty or blank (white space, control and invisible format characters only)")
            }
            // The forget set's fingerprint joins fields with NUL, so a NUL inside one (a JSON
            // "\u0000") could make two different items one.
            guard !string.unicodeScalars.contains("\u{0}") else { throw fail("\(field).\(key)", "must not contain a NUL character") }
            guard string.utf8.count <= limits.maxTextBytes else {
                throw fail("\(field).\(key)", "is \(string.utf8.count) bytes, more than the limit of \(limits.maxTextBytes)")
            }
            return string
        }
        switch (try text("prompt"), try text("completion"), try text("text")) {
        case (let prompt?, let completion?, nil): return .item(.completion(prompt: prompt, completion: completion))
        case (nil, nil, let whole?): return .item(.text(whole))
        case (let prompt?, nil, nil) where promptAlone: return .prompt(prompt)
        case (_, _, _?): throw fail(field, "has \"text\" and also \"prompt\" or \"completion\": use one form")
        case (nil, _?, nil): throw fail("\(field).prompt", "is required with \"completion\"")
        case (_?, nil, nil): throw fail("\(field).completion", "is required with \"prompt\"")
        case (nil, nil, nil): throw fail(field, "needs \"prompt\" and \"completion\", or \"text\"")
        }
    }

    /// The forget set's fingerprint of an item's content (`ForgetItemRecord.fingerprint`): the
    /// same for the same words under any request, so a fact asked twice is one entry.
    public static func fingerprint(_ content: RequestItem.Content) -> String {
        switch content {
        case .completion(let prompt, let completion):
            ForgetItemRecord.fingerprint(kind: .qa, prompt: prompt, completion: completion, text: nil)
        case .text(let text):
            ForgetItemRecord.fingerprint(kind: .text, prompt: nil, completion: nil, text: text)
        }
    }

    /// Nothing a reader would see: every character is white space, a control character, or a
    /// format or other default-ignorable one (U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER,
    /// U+FEFF, bidirectional marks). A completion of zero-width spaces is not something to forget.
    static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            let properties = scalar.properties
            if properties.isWhitespace || properties.isDefaultIgnorableCodePoint { return true }
            switch properties.generalCategory {
            case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
            default: return false
            }
        }
    }

    private func parseOptions(_ value: StrictJSONValue, fail: (String?, String) -> RequestError) throws(RequestError) -> RequestOptions {
        guard case .object(let fields) = value else { throw fail("options", "must be an object") }
        try requireKnownKeys(fields, Self.optionFields, of: "options", kind: "a request option", fail: fail)
        var options = RequestOptions()
        for member in fields.members {
            let field = "options.\(member.key)", value = member.value
            switch member.key {
            case "method":
                guard case .string(let method) = value, policy.allowedMethods.contains(method) else {
                    throw fail(field, "must be one of the methods this daemon allows: \(policy.allowedMethods.joined(separator: ", "))")
                }
                options.method = method
            case "epochs":
                let range = "a whole number from 1 to \(policy.maxEpochs)"
                guard case .number(let number) = value else { throw fail(field, "must be \(range)") }
                // 1.0, 1e0 and 2.0000000000000001 are whole only after rounding; another reader
                // may round them differently, so an integer is written as one.
                guard number.isInteger else { throw fail(field, "must be \(range), written without a fraction or exponent") }
                guard number.value >= 1, number.value <= Double(policy.maxEpochs) else { throw fail(field, "must be \(range)") }
                options.epochs = Int(number.value)
            case "learning_rate":
                guard case .number(let number) = value, case let rate = number.value, rate > 0, rate <= policy.maxLearningRate else {
                    throw fail(field, "must be a number above 0 and at most \(policy.maxLearningRate)")
                }
                options.learningRate = rate
            case "max_utility_drop":
                guard case .number(let number) = value, case let drop = number.value, drop >= 0, drop <= policy.maxUtilityDrop else {
                    throw fail(field, "may only tighten the daemon's budget: a number from 0 to \(policy.maxUtilityDrop)")
                }
                options.maxUtilityDrop = drop
            default:
                break  // no other key gets here: requireKnownKeys refused it
            }
        }
        return options
    }

    /// The offset of the first byte that is not part of valid UTF-8, or nil.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser(), iterator = bytes.makeIterator(), offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
