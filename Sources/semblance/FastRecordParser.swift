/// A parser for the common shape of a JSON line, `{"id": "...", "vector": [numbers], ...}`
/// or a bare `[numbers]`, several times faster than `JSONDecoder` on long vectors.
///
/// It accepts only well-formed JSON; anything it does not handle (escapes in the id or a
/// key, a repeated field, an unusual value) returns nil, and the line is decoded again by
/// `JSONDecoder`, which also words the error of a malformed line.
struct FastRecordParser {
    struct Record {
        var id: String?
        var vector: [Float]
        var hasMetadata: Bool
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0

    /// The record in `line`, or nil when this parser leaves the line to `JSONDecoder`.
    static func parse(_ line: [UInt8]) -> Record? {
        line.withUnsafeBufferPointer { buffer in
            var parser = FastRecordParser(bytes: buffer)
            return parser.record()
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private mutating func record() -> Record? {
        skipSpace()
        let result: Record?
        if peek == UInt8(ascii: "[") {
            result = numbers().map { Record(id: nil, vector: $0, hasMetadata: false) }
        } else {
            result = object()
        }
        skipSpace()
        return i == bytes.count ? result : nil
    }

    private mutating func object() -> Record? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var id: String?
        var vector: [Float]?
        var hasMetadata = false
        var seen = Set<String>()
        skipSpace()
        if take(UInt8(ascii: "}")) { return nil }
        repeat {
            skipSpace()
            guard let key = plainString(), seen.insert(key).inserted else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            switch key {
            case "id":
                if peek == UInt8(ascii: "\"") {
                    guard let text = plainString() else { return nil }
                    id = text
                } else {
                    // Integers only; anything else is JSONDecoder's to judge.
                    let start = i
                    guard skipNumber(), let number = Int64(String(decoding: bytes[start..<i], as: UTF8.self)) else { return nil }
                    id = String(number)
                }
            case "vector":
                guard let parsed = numbers() else { return nil }
                vector = parsed
            case "metadata":
                let isNull = peekLiteral("null")
                guard skipValue(depth: 0) else { return nil }
                hasMetadata = !isNull
            default:
                guard skipValue(depth: 0) else { return nil }
            }
            skipSpace()
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")), let vector else { return nil }
        return Record(id: id, vector: vector, hasMetadata: hasMetadata)
    }

    /// `[n, n, ...]` as Floats.
    private mutating func numbers() -> [Float]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var values: [Float] = []
        values.reserveCapacity(bytes.count / 8)
        skipSpace()
        if take(UInt8(ascii: "]")) { return values }
        repeat {
            skipSpace()
            let start = i
            guard skipNumber() else { return nil }
            // Numbers of up to 15 bytes make a String without allocating.
            guard let value = Float(String(decoding: bytes[start..<i], as: UTF8.self)) else { return nil }
            values.append(value)
            skipSpace()
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? values : nil
    }

    /// A JSON number token: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func skipNumber() -> Bool {
        _ = take(UInt8(ascii: "-"))
        if take(UInt8(ascii: "0")) {
        } else {
            guard let first = peek, (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first) else { return false }
            skipDigits()
        }
        if take(UInt8(ascii: ".")) {
            guard isDigit(peek) else { return false }
            skipDigits()
        }
        if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard isDigit(peek) else { return false }
            skipDigits()
        }
        return true
    }

    /// A string without escapes or control characters; nil otherwise.
    private mutating func plainString() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = i
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                defer { i += 1 }
                return String(validating: bytes[start..<i], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            i += 1
        }
        return nil
    }

    /// Skips any JSON value, checking its syntax; escapes in strings are allowed here.
    private mutating func skipValue(depth: Int) -> Bool {
        guard depth < 64, let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            i += 1
            skipSpace()
            if take(close) { return true }
            repeat {
                skipSpace()
                if close == UInt8(ascii: "}") {
                    guard skipString() else { return false }
                    skipSpace()
                    guard take(UInt8(ascii: ":")) else { return false }
                    skipSpace()
                }
                guard skipValue(depth: depth + 1) else { return false }
                skipSpace()
            } while take(UInt8(ascii: ","))
            return take(close)
        case UInt8(ascii: "\""):
            return skipString()
        case UInt8(ascii: "t"): return takeLiteral("true")
        case UInt8(ascii: "f"): return takeLiteral("false")
        case UInt8(ascii: "n"): return takeLiteral("null")
        default: return skipNumber()
        }
    }

    private mutating func skipString() -> Bool {
        guard take(UInt8(ascii: "\"")) else { return false }
        let start = i
        while i < bytes.count {
            let byte = bytes[i]
            i += 1
            if byte == UInt8(ascii: "\"") { return String(validating: bytes[start..<(i - 1)], as: UTF8.self) != nil }
            if byte < 0x20 { return false }
            if byte == UInt8(ascii: "\\") {
                guard i < bytes.count else { return false }
                let escaped = bytes[i]
                i += 1
                if escaped == UInt8(ascii: "u") {
                    guard i + 4 <= bytes.count, bytes[i..<(i + 4)].allSatisfy(isHexDigit) else { return false }
                    i += 4
                } else {
                    guard Array(#""\/bfnrt"#.utf8).contains(escaped) else { return false }
                }
            }
        }
        return false
    }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        i += 1
        return true
    }

    private func peekLiteral(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard i + count <= bytes.count else { return false }
        return (0..<count).allSatisfy { bytes[i + $0] == word.utf8Start[$0] }
    }

    private mutating func takeLiteral(_ word: StaticString) -> Bool {
        guard peekLiteral(word) else { return false }
        i += word.utf8CodeUnitCount
        return true
    }

    private mutating func skipDigits() { while isDigit(peek) { i += 1 } }

    private mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { i += 1 }
    }

    private func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }
}
