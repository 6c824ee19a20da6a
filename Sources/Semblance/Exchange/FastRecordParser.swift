/// A parser for the shape of a JSON line, `{"id": "...", "vector": [numbers], "metadata":
/// {...}}` or a bare `[numbers]`, several times faster than `JSONDecoder` on long vectors,
/// and exact about numbers in metadata (`JSONDecoder` reads `2.0` as an integer).
///
/// It accepts only well-formed JSON; anything it does not handle (a repeated field, an id
/// that is not a string or an integer, a number too large for a double) returns nil, and
/// the line is decoded again by `JSONDecoder`, which also words the error of a malformed line.
struct FastRecordParser {
    struct Record {
        var id: String?
        var vector: [Float]
        /// The `metadata` value (absent or null: nil). A number with a fraction or an
        /// exponent is a double, others integers: `2.0` stays a double, as it was exported.
        var metadata: Metadata?
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
            result = numbers().map { Record(id: nil, vector: $0, metadata: nil) }
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
        var metadata: Metadata?
        var seen = Set<String>()
        skipSpace()
        if take(UInt8(ascii: "}")) { return nil }
        repeat {
            skipSpace()
            guard let key = string(), seen.insert(key).inserted else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            switch key {
            case "id":
                if peek == UInt8(ascii: "\"") {
                    guard let text = string() else { return nil }
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
                guard let value = self.value(depth: 0) else { return nil }
                metadata = value == .null ? nil : value
            default:
                guard skipValue(depth: 0) else { return nil }
            }
            skipSpace()
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")), let vector else { return nil }
        return Record(id: id, vector: vector, metadata: metadata)
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

    /// A JSON string, escapes decoded; nil when malformed (or a lone surrogate).
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = i
        // The common case, no escapes: one validating copy.
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: "\"") {
            defer { i += 1 }
            return String(validating: bytes[start..<i], as: UTF8.self)
        }
        var decoded = Array(bytes[start..<i])
        while i < bytes.count {
            let byte = bytes[i]
            i += 1
            switch byte {
            case UInt8(ascii: "\""): return String(validating: decoded, as: UTF8.self)
            case ..<0x20: return nil
            case UInt8(ascii: "\\"):
                guard let escaped = peek else { return nil }
                i += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escaped)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    decoded += Array(String(Character(scalar)).utf8)
                default: return nil
                }
            default: decoded.append(byte)
            }
        }
        return nil
    }

    /// The scalar of a `\uXXXX` escape (after the `u`), joining a surrogate pair.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let high = hexQuad() else { return nil }
        if (0xD800..<0xDC00).contains(high) {
            guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hexQuad(), (0xDC00..<0xE000).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        }
        return Unicode.Scalar(high)
    }

    private mutating func hexQuad() -> UInt32? {
        guard i + 4 <= bytes.count, bytes[i..<(i + 4)].allSatisfy(isHexDigit) else { return nil }
        defer { i += 4 }
        return UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16)
    }

    /// Any JSON value as ``Metadata``; nil when malformed, nested deeper than 64, or a
    /// number that is not finite as a double. Limits are checked later, by `validate()`.
    private mutating func value(depth: Int) -> Metadata? {
        guard depth < 64, let byte = peek else { return nil }
        switch byte {
        case UInt8(ascii: "{"):
            i += 1
            var fields: [String: Metadata] = [:]
            skipSpace()
            if take(UInt8(ascii: "}")) { return .object(fields) }
            repeat {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let field = value(depth: depth + 1) else { return nil }
                fields[key] = field
                skipSpace()
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}")) ? .object(fields) : nil
        case UInt8(ascii: "["):
            i += 1
            var elements: [Metadata] = []
            skipSpace()
            if take(UInt8(ascii: "]")) { return .array(elements) }
            repeat {
                skipSpace()
                guard let element = value(depth: depth + 1) else { return nil }
                elements.append(element)
                skipSpace()
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]")) ? .array(elements) : nil
        case UInt8(ascii: "\""): return string().map(Metadata.string)
        case UInt8(ascii: "t"): return takeLiteral("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return takeLiteral("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return takeLiteral("null") ? .null : nil
        default:
            let start = i
            guard skipNumber() else { return nil }
            let token = String(decoding: bytes[start..<i], as: UTF8.self)
            if !token.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
               let integer = Int64(token) {
                return .int(integer)
            }
            guard let double = Double(token), double.isFinite else { return nil }
            return .double(double)
        }
    }

    /// Skips any JSON value, checking its syntax.
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
                    guard string() != nil else { return false }
                    skipSpace()
                    guard take(UInt8(ascii: ":")) else { return false }
                    skipSpace()
                }
                guard skipValue(depth: depth + 1) else { return false }
                skipSpace()
            } while take(UInt8(ascii: ","))
            return take(close)
        case UInt8(ascii: "\""):
            return string() != nil
        case UInt8(ascii: "t"): return takeLiteral("true")
        case UInt8(ascii: "f"): return takeLiteral("false")
        case UInt8(ascii: "n"): return takeLiteral("null")
        default: return skipNumber()
        }
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
