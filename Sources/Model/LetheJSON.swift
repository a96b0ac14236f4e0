import Foundation

/// The JSON Lethe writes for people and scripts (`--json` output, the daemon's answer and
/// status files, bench documents) and reads back: keys sorted, slashes unescaped, and every
/// time an ISO 8601 string in UTC with milliseconds, `2026-12-06T08:15:00.123Z`
/// (``timestamp(_:)``), never Foundation's default number of seconds since 2001.
///
/// Milliseconds, always three digits: the registry keeps times to the millisecond, two
/// versions or requests of the same second stay in order, and one fixed form sorts as text.
/// Reading also accepts the form without fractional seconds, which status files of earlier
/// daemons hold.
public enum LetheJSON {
    /// `2026-12-06T08:15:00.123Z`: to the nearest millisecond (the format style truncates, and
    /// a time read from the registry as …00.123 may be a hair below it as a Double).
    public static func timestamp(_ date: Date) -> String {
        withFraction.format(date.addingTimeInterval(0.0005))
    }

    /// The time an ISO 8601 UTC string names, with or without fractional seconds; nil for
    /// anything else.
    public static func date(fromTimestamp text: String) -> Date? {
        try? withFraction.parse(text)
    }

    /// Pretty-printed (a file, `--json`), or on one line when `compact`; the properties'
    /// camelCase names written in snake_case unless `snakeCaseKeys` is false (documents of
    /// `JSONValue`s, whose keys are already what they should be).
    public static func encoder(compact: Bool = false, snakeCaseKeys: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = compact ? [.sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        if snakeCaseKeys { encoder.keyEncodingStrategy = .convertToSnakeCase }
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        return encoder
    }

    /// Reads what ``encoder(compact:snakeCaseKeys:)`` wrote.
    public static func decoder(snakeCaseKeys: Bool = true) -> JSONDecoder {
        let decoder = JSONDecoder()
        if snakeCaseKeys { decoder.keyDecodingStrategy = .convertFromSnakeCase }
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = date(fromTimestamp: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "\(text) is not an ISO 8601 time such as 2026-12-06T08:15:00.123Z")
            }
            return date
        }
        return decoder
    }

    /// Writes milliseconds; reads a time with or without them.
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
