import Foundation

/// How the registry's JSON columns (hyperparameters, metrics, error, latest_scores) are
/// written: as a JSON object with sorted keys, so equal documents are equal text.
///
/// Metrics can be NaN or infinite (a diverged loss is worth recording in a request's
/// error), which JSON cannot express: they are written as the strings "NaN", "Infinity"
/// and "-Infinity" and read back as the numbers.
enum RegistryJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }
}
