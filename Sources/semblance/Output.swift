import Foundation
import Semblance

/// Everything the tool prints goes through here: unbuffered writes, so a JSON progress line
/// reaches a reading script at once and text and JSON never interleave out of order.
enum Output {
    /// Writes one line to standard output.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes `value` as one line of JSON (keys sorted) to standard output.
    static func json(_ value: some Encodable) throws {
        line(try encode(value))
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A vector as a JSON array: `[0.1,0.2]`.
    static func vector(_ vector: [Float]) -> String {
        (try? encode(vector)) ?? "[]"
    }
}
