/// The JSON text of a value: compact, object keys sorted, doubles with their fraction
/// (`2024.0`, so it reads back as a double), strings escaped as RFC 8259 requires. Equal
/// values give equal text; ``JSONLines`` writes metadata this way.
extension Metadata: CustomStringConvertible {
    public var description: String {
        var text = ""
        appendJSON(to: &text)
        return text
    }

    func appendJSON(to text: inout String) {
        switch self {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .int(let number): text += String(number)
        // `description` of a finite Double is valid JSON and reads back as the same Double;
        // a whole number keeps its ".0", so it comes back as a double, not an integer.
        case .double(let number): text += number.description
        case .string(let string): Self.appendJSON(string, to: &text)
        case .array(let elements):
            text += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { text += "," }
                element.appendJSON(to: &text)
            }
            text += "]"
        case .object(let fields):
            text += "{"
            for (i, key) in fields.keys.sorted().enumerated() {
                if i > 0 { text += "," }
                Self.appendJSON(key, to: &text)
                text += ":"
                fields[key]!.appendJSON(to: &text)
            }
            text += "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func appendJSON(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                text += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
