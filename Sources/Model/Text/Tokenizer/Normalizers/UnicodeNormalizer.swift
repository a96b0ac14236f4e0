import Foundation

/// `NFC`, `NFD`, `NFKC` and `NFKD`: Unicode normalization, by Foundation.
struct UnicodeNormalizer: Equatable, Sendable {
    enum Form: String, Sendable {
        case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD"
    }

    var form: Form

    var json: HeaderJSONValue {
        .fields(["type": .string(form.rawValue)])
    }

    func normalize(_ text: inout [Unicode.Scalar]) {
        // ASCII is its own normal form in all four.
        guard text.contains(where: { !$0.isASCII }) else { return }
        let string = String(String.UnicodeScalarView(text))
        let normalized = switch form {
        case .nfc: string.precomposedStringWithCanonicalMapping
        case .nfd: string.decomposedStringWithCanonicalMapping
        case .nfkc: string.precomposedStringWithCompatibilityMapping
        case .nfkd: string.decomposedStringWithCompatibilityMapping
        }
        text = Array(normalized.unicodeScalars)
    }
}
