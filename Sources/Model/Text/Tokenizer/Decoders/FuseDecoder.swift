/// `Fuse`: all tokens joined into one, so that later components see the whole text.
struct FuseDecoder: Equatable, Sendable {
    var json: HeaderJSONValue {
        .fields(["type": .string("Fuse")])
    }

    func decode(_ tokens: [String]) -> [String] {
        [tokens.joined()]
    }
}
