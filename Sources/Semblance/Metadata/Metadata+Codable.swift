/// The natural JSON form: `null`, `true`, `42`, `4.5`, `"text"`, `[...]`, `{...}`. A JSON
/// number that fits in 64 bits as an integer decodes as one; `JSONDecoder` does not tell
/// `2.0` from `2`, so both come back as `.int(2)` (they compare equal in filters). The JSON
/// Lines reader (``JSONLines``) keeps them apart.
extension Metadata: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([Metadata].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: Metadata].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
