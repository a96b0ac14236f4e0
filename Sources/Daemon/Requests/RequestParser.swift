import Foundation
import Model
import Store
import Unlearning

/// Turns the bytes of a spool file into a validated `SpoolRequest`, or a `RequestError` that
/// names the file, the field and the fault. The file is untrusted: its size, encoding and
/// nesting are checked before it is parsed, every field after, and nothing in it is ever used
/// as a path. A name ending in `.jsonl` is the bulk format: one forget item per line.
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

        let document = try decode(bytes, fail: { fail(nil, $0) })
        guard case .object(let fields) = document else { throw fail(nil, "must hold one JSON object") }
        let known: Set<String> = ["id", "submitted_by", "reason", "forget", "retain", "options", "withdraw"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail(unknown, "is not a request field (known: \(known.sorted().joined(separator: ", ")))")
        }
        let id = try fields["id"].map { value throws(RequestError) in
            guard case .string(let id) = value else { throw fail("id", "must be a string") }
            guard Self.isValidID(id) else { throw fail("id", "\(Self.idRule); got \(Self.quoted(id))") }
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
        var forget: [RequestItem] = []
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let text = Array(line)
            if text.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { continue }
            let field = "line \(index + 1)"
            guard forget.count < limits.maxItems else { throw fail(field, "is beyond the limit of \(limits.maxItems) items") }
            let value = try decode(text, fail: { fail(field, $0) })
            forget.append(try item(value, field: field, fail: fail))
        }
        guard !forget.isEmpty else { throw fail(nil, "has no item lines") }
        try requireDistinctIDs(forget, field: "lines", fail: fail)
        return .forget(ForgetRequest(id: "req-" + hash.prefix(16), submittedBy: "unknown", reason: "", forget: forget, retain: [],
                                     options: RequestOptions(), contentHash: hash))
    }

    private func decode(_ bytes: [UInt8], fail: (String) -> RequestError) throws(RequestError) -> JSONValue {
        let depth = JSONNesting.depth(of: bytes, limit: limits.maxDepth)
        guard depth <= limits.maxDepth else { throw fail("nests arrays and objects deeper than the limit of \(limits.maxDepth)") }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw fail("is not valid JSON")
        }
    }

    private func label(_ value: JSONValue?, field: String, fail: (String?, String) -> RequestError) throws(RequestError) -> String? {
        guard let value else { return nil }
        guard case .string(let text) = value else { throw fail(field, "must be a string") }
        guard text.utf8.count <= limits.maxLabelBytes else {
            throw fail(field, "is \(text.utf8.count) bytes, more than the limit of \(limits.maxLabelBytes)")
        }
        return text
    }

    private func items(_ value: JSONValue, field: String, fail: (String?, String) -> RequestError) throws(RequestError) -> [RequestItem] {
        guard case .array(let entries) = value else { throw fail(field, "must be an array of items") }
        guard entries.count <= limits.maxItems else {
            throw fail(field, "has \(entries.count) items, more than the limit of \(limits.maxItems)")
        }
        let parsed = try entries.enumerated().map { index, entry throws(RequestError) in try item(entry, field: "\(field)[\(index)]", fail: fail) }
        try requireDistinctIDs(parsed, field: field, fail: fail)
        return parsed
    }

    private func requireDistinctIDs(_ items: [RequestItem], field: String, fail: (String?, String) -> RequestError) throws(RequestError) {
        var seen = Set<String>()
        for item in items where !seen.insert(item.id).inserted {
            throw fail(field, "has two items with the id \(Self.quoted(item.id)) (the same content, or the same explicit id)")
        }
    }

    /// `{"prompt": ..., "completion": ...}` or `{"text": ...}`, with an optional `id`.
    private func item(_ value: JSONValue, field: String, fail: (String?, String) -> RequestError) throws(RequestError) -> RequestItem {
        guard case .object(let fields) = value else {
            throw fail(field, "must be an object with \"prompt\" and \"completion\", or with \"text\"")
        }
        let known: Set<String> = ["id", "prompt", "completion", "text"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("\(field).\(unknown)", "is not an item field (known: id, prompt, completion, text)")
        }
        func text(_ key: String) throws(RequestError) -> String? {
            guard let value = fields[key] else { return nil }
            guard case .string(let string) = value else { throw fail("\(field).\(key)", "must be a string") }
            guard !string.allSatisfy(\.isWhitespace) else { throw fail("\(field).\(key)", "must not be empty or blank") }
            // The forget set's fingerprint joins fields with NUL, so a NUL inside one (a JSON
            // "\u0000") could make two different items one.
            guard !string.unicodeScalars.contains("\u{0}") else { throw fail("\(field).\(key)", "must not contain a NUL character") }
            guard string.utf8.count <= limits.maxTextBytes else {
                throw fail("\(field).\(key)", "is \(string.utf8.count) bytes, more than the limit of \(limits.maxTextBytes)")
            }
            return string
        }
        let content: RequestItem.Content
        switch (try text("prompt"), try text("completion"), try text("text")) {
        case (let prompt?, let completion?, nil): content = .completion(prompt: prompt, completion: completion)
        case (nil, nil, let whole?): content = .text(whole)
        case (_, _, _?): throw fail(field, "has \"text\" and also \"prompt\" or \"completion\": use one form")
        case (nil, _?, nil): throw fail("\(field).prompt", "is required with \"completion\"")
        case (_?, nil, nil): throw fail("\(field).completion", "is required with \"prompt\"")
        case (nil, nil, nil): throw fail(field, "needs \"prompt\" and \"completion\", or \"text\"")
        }
        let id: String
        if let value = fields["id"] {
            guard case .string(let explicit) = value, Self.isValidID(explicit) else { throw fail("\(field).id", Self.idRule) }
            id = explicit
        } else {
            id = "item-" + Self.fingerprint(content).prefix(12)
        }
        return RequestItem(id: id, content: content)
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

    private func parseOptions(_ value: JSONValue, fail: (String?, String) -> RequestError) throws(RequestError) -> RequestOptions {
        guard case .object(let fields) = value else { throw fail("options", "must be an object") }
        var options = RequestOptions()
        for key in fields.keys.sorted() {
            let field = "options.\(key)", value = fields[key]!
            switch key {
            case "method":
                guard case .string(let method) = value, policy.allowedMethods.contains(method) else {
                    throw fail(field, "must be one of the methods this daemon allows: \(policy.allowedMethods.joined(separator: ", "))")
                }
                options.method = method
            case "epochs":
                guard let epochs = value.intValue, (1...policy.maxEpochs).contains(epochs) else {
                    throw fail(field, "must be a whole number from 1 to \(policy.maxEpochs)")
                }
                options.epochs = epochs
            case "learning_rate":
                guard let rate = value.doubleValue, rate > 0, rate <= policy.maxLearningRate else {
                    throw fail(field, "must be a number above 0 and at most \(policy.maxLearningRate)")
                }
                options.learningRate = rate
            case "max_utility_drop":
                guard let drop = value.doubleValue, drop >= 0, drop <= policy.maxUtilityDrop else {
                    throw fail(field, "may only tighten the daemon's budget: a number from 0 to \(policy.maxUtilityDrop)")
                }
                options.maxUtilityDrop = drop
            default:
                throw fail(field, "is not a request option (known: epochs, learning_rate, max_utility_drop, method)")
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

    /// A value quoted for a message, cut short: a hostile id must not flood the error file.
    static func quoted(_ text: String) -> String {
        let shown = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return "\"" + shown.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : String($0) }.joined() + "\""
    }
}
