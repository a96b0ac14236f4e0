/// Typed reads of metadata keys; a key of the wrong type is an error that names it.
extension GGUFFile {
    func string(_ key: String) throws(GGUFError) -> String {
        guard let value = try string(key, required: true) else { throw .missingKey(file: path, key: key) }
        return value
    }

    func string(_ key: String, required: Bool) throws(GGUFError) -> String? {
        guard let value = metadata[key] else {
            if required { throw .missingKey(file: path, key: key) }
            return nil
        }
        guard let text = value.stringValue else { throw .wrongKeyType(file: path, key: key, expected: "a string") }
        return text
    }

    /// A non-negative integer of any integer type.
    func integer(_ key: String) throws(GGUFError) -> Int? {
        guard let value = metadata[key] else { return nil }
        guard let number = value.intValue, number >= 0 else {
            throw .wrongKeyType(file: path, key: key, expected: "a non-negative integer")
        }
        return number
    }

    func real(_ key: String) throws(GGUFError) -> Double? {
        guard let value = metadata[key] else { return nil }
        guard let number = value.doubleValue else { throw .wrongKeyType(file: path, key: key, expected: "a number") }
        return number
    }

    func bool(_ key: String) throws(GGUFError) -> Bool? {
        guard let value = metadata[key] else { return nil }
        guard let flag = value.boolValue else { throw .wrongKeyType(file: path, key: key, expected: "a bool") }
        return flag
    }

    func strings(_ key: String, required: Bool = true) throws(GGUFError) -> [String] {
        try array(key, required: required, expected: "an array of strings") { $0.stringValue }
    }

    func integers(_ key: String, required: Bool = true) throws(GGUFError) -> [Int] {
        try array(key, required: required, expected: "an array of integers") { $0.intValue }
    }

    func floats(_ key: String) throws(GGUFError) -> [Float] {
        try array(key, required: true, expected: "an array of numbers") { $0.doubleValue.map(Float.init) }
    }

    private func array<T>(
        _ key: String, required: Bool, expected: String, _ element: (GGUFValue) -> T?
    ) throws(GGUFError) -> [T] {
        guard let value = metadata[key] else {
            if required { throw .missingKey(file: path, key: key) }
            return []
        }
        guard let elements = value.arrayValue else { throw .wrongKeyType(file: path, key: key, expected: expected) }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for item in elements {
            guard let converted = element(item) else { throw .wrongKeyType(file: path, key: key, expected: expected) }
            result.append(converted)
        }
        return result
    }
}
