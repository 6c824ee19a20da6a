import Foundation

/// A Swift value that has a metadata form: `Bool`, `Int`, `Int64`, `Double`, `Float`,
/// `String`, `Metadata`, optionals of them (nil is `null`), and arrays and `[String: _]`
/// dictionaries of them, nested. `Metadata(value)` converts any of them.
public protocol MetadataConvertible {
    /// This value as metadata.
    var metadataValue: Metadata { get }
}

extension Metadata: MetadataConvertible { public var metadataValue: Metadata { self } }
extension Bool: MetadataConvertible { public var metadataValue: Metadata { .bool(self) } }
extension Int: MetadataConvertible { public var metadataValue: Metadata { .int(Int64(self)) } }
extension Int64: MetadataConvertible { public var metadataValue: Metadata { .int(self) } }
extension Double: MetadataConvertible { public var metadataValue: Metadata { .double(self) } }
extension Float: MetadataConvertible { public var metadataValue: Metadata { .double(Double(self)) } }
extension String: MetadataConvertible { public var metadataValue: Metadata { .string(self) } }
extension Substring: MetadataConvertible { public var metadataValue: Metadata { .string(String(self)) } }
extension Optional: MetadataConvertible where Wrapped: MetadataConvertible {
    public var metadataValue: Metadata { map(\.metadataValue) ?? .null }
}
extension Array: MetadataConvertible where Element: MetadataConvertible {
    public var metadataValue: Metadata { .array(map(\.metadataValue)) }
}
extension Dictionary: MetadataConvertible where Key == String, Value: MetadataConvertible {
    public var metadataValue: Metadata { .object(mapValues(\.metadataValue)) }
}

extension Metadata {
    /// The metadata form of a runtime value: `Metadata(year)`, `Metadata(tags)`,
    /// `["year": Metadata(year), "draft": Metadata(isDraft)]`.
    public init(_ value: some MetadataConvertible) { self = value.metadataValue }

    /// The string, or nil for any other kind of value.
    public var stringValue: String? { if case .string(let value) = self { value } else { nil } }

    /// The integer: an `.int`, or a `.double` that is a whole number in range; else nil.
    public var intValue: Int? {
        switch self {
        case .int(let value): Int(exactly: value)
        case .double(let value): Int(exactly: value)
        default: nil
        }
    }

    /// The number as a `Double` (an `.int` converted), or nil for any other kind of value.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The flag, or nil for any other kind of value.
    public var boolValue: Bool? { if case .bool(let value) = self { value } else { nil } }

    /// The elements of an array, or nil for any other kind of value.
    public var arrayValue: [Metadata]? { if case .array(let value) = self { value } else { nil } }

    /// The fields of an object, or nil for any other kind of value.
    public var objectValue: [String: Metadata]? { if case .object(let value) = self { value } else { nil } }

    /// True for `null`.
    public var isNull: Bool { self == .null }

    /// The element of an array at `index`, or nil (not an array, or out of range).
    public subscript(index: Int) -> Metadata? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}

extension Metadata: ExpressibleByStringInterpolation {
    /// A string literal with interpolations: `["title": "Part \(number)"]`.
    public init(stringInterpolation: DefaultStringInterpolation) {
        self = .string(String(stringInterpolation: stringInterpolation))
    }
}

extension Metadata {
    /// The JSON form of an `Encodable` value as metadata: `Metadata(encoding: article)`.
    /// Whole numbers come back as integers (`JSONEncoder` writes `2.0` as `2`).
    /// - Throws: `.invalidMetadata` when the value does not encode (a NaN, say).
    public init(encoding value: some Encodable) throws(SemblanceError) {
        do {
            self = try JSONDecoder().decode(Metadata.self, from: JSONEncoder().encode(value))
        } catch {
            throw SemblanceError(.invalidMetadata, "\(type(of: value)) does not encode as metadata: \(error)")
        }
    }

    /// The value of a `Decodable` type this metadata holds: `metadata.decode(Article.self)`.
    /// - Throws: `.invalidMetadata` naming what does not match.
    public func decode<T: Decodable>(_ type: T.Type) throws(SemblanceError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: JSONEncoder().encode(self))
        } catch {
            throw SemblanceError(.invalidMetadata, "metadata \(self) does not decode as \(T.self): \(error)")
        }
    }
}
