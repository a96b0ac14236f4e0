/// `Lowercase`: each scalar by its full Unicode lowercase mapping, one at a time as Rust's
/// `char::to_lowercase` does (so no final-sigma rule).
struct LowercaseNormalizer: Equatable, Sendable {
    var json: HeaderJSONValue {
        .fields(["type": .string("Lowercase")])
    }

    func normalize(_ text: inout [Unicode.Scalar]) {
        guard text.contains(where: { $0.properties.changesWhenLowercased }) else { return }
        text = text.flatMap { $0.properties.changesWhenLowercased ? Array($0.properties.lowercaseMapping.unicodeScalars) : [$0] }
    }
}
