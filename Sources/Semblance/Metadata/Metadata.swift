/// A JSON-like value stored with a record: null, bool, integer, double, string, array or
/// object, nested. Written with Swift literals:
///
/// ```swift
/// let metadata: Metadata = ["lang": "en", "year": 2024, "tags": ["db", "swift"], "draft": false]
/// ```
///
/// Integers and doubles compare as numbers (`2024 == 2024.0`). Doubles must be finite.
public enum Metadata: Sendable, Hashable {
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer.
    case int(Int64)
    /// A double (only finite ones can be stored).
    case double(Double)
    /// A string.
    case string(String)
    /// An array of values.
    case array([Metadata])
    /// An object: values by key.
    case object([String: Metadata])

    /// The value at a dotted path (`"author.name"`) of an object, or nil.
    public subscript(path path: String) -> Metadata? {
        if !path.utf8.contains(UInt8(ascii: ".")) { return self[path] }
        var current = self
        for key in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .object(let fields) = current, let next = fields[String(key)] else { return nil }
            current = next
        }
        return current
    }

    /// The value of a top-level field of an object, or nil.
    public subscript(key: String) -> Metadata? {
        guard case .object(let fields) = self else { return nil }
        return fields[key]
    }
}

extension Metadata: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: Metadata...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, Metadata)...) {
        // A repeated key keeps its last value, as in JSON parsers.
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
