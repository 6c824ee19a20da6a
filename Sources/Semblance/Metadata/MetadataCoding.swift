/// The binary form of ``Metadata`` in log records and pages: a tag byte, then the value,
/// little-endian. Object keys are written sorted, so equal values encode to equal bytes.
///
///     0 null · 1 false · 2 true · 3 int: i64 · 4 double: f64 bits · 5 string: u32 length + UTF-8
///     6 array: u32 count + values · 7 object: u32 count + (u32 key length + UTF-8 key + value)…
extension Metadata {
    private enum Tag: UInt8 { case null, `false`, `true`, int, double, string, array, object }

    func encode(into writer: inout ByteWriter) {
        switch self {
        case .null: writer.append(Tag.null.rawValue)
        case .bool(let value): writer.append(value ? Tag.true.rawValue : Tag.false.rawValue)
        case .int(let value):
            writer.append(Tag.int.rawValue)
            writer.append(value)
        case .double(let value):
            writer.append(Tag.double.rawValue)
            writer.append(value.bitPattern)
        case .string(let value):
            writer.append(Tag.string.rawValue)
            Self.appendString(value, to: &writer)
        case .array(let elements):
            writer.append(Tag.array.rawValue)
            writer.append(UInt32(elements.count))
            for element in elements { element.encode(into: &writer) }
        case .object(let fields):
            writer.append(Tag.object.rawValue)
            writer.append(UInt32(fields.count))
            for key in fields.keys.sorted() {
                Self.appendString(key, to: &writer)
                fields[key]!.encode(into: &writer)
            }
        }
    }

    private static func appendString(_ string: String, to writer: inout ByteWriter) {
        writer.append(UInt32(string.utf8.count))
        writer.append(bytes: string.utf8)
    }

    /// The encoded size in bytes.
    var encodedSize: Int {
        switch self {
        case .null, .bool: 1
        case .int, .double: 9
        case .string(let value): 5 + value.utf8.count
        case .array(let elements): elements.reduce(5) { $0 + $1.encodedSize }
        case .object(let fields): fields.reduce(5) { $0 + 4 + $1.key.utf8.count + $1.value.encodedSize }
        }
    }

    /// Decodes one value; damage (an unknown tag, a count beyond the bytes left, nesting
    /// beyond the limit, invalid UTF-8) is `.corruptFile` naming the reader's file and offset.
    static func decode(from reader: inout ByteReader, depth: Int = 0) throws(SemblanceError) -> Metadata {
        let raw = try reader.read(UInt8.self)
        guard let tag = Tag(rawValue: raw) else { throw reader.corrupt("unknown metadata tag \(raw)") }
        switch tag {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int: return .int(try reader.read(Int64.self))
        case .double:
            let value = Double(bitPattern: try reader.read(UInt64.self))
            guard value.isFinite else { throw reader.corrupt("a metadata number is not finite") }
            return .double(value)
        case .string: return .string(try readString(from: &reader))
        case .array, .object:
            guard depth < MetadataLimits.maximumDepth else { throw reader.corrupt("metadata nests too deep") }
            let count = Int(try reader.read(UInt32.self))
            guard count <= reader.remaining else { throw reader.corrupt("metadata claims \(count) elements") }
            if tag == .array {
                var elements: [Metadata] = []
                elements.reserveCapacity(count)
                for _ in 0..<count { elements.append(try decode(from: &reader, depth: depth + 1)) }
                return .array(elements)
            }
            var fields: [String: Metadata] = [:]
            fields.reserveCapacity(count)
            for _ in 0..<count {
                let key = try readString(from: &reader)
                fields[key] = try decode(from: &reader, depth: depth + 1)
            }
            guard fields.count == count else { throw reader.corrupt("metadata object repeats a key") }
            return .object(fields)
        }
    }

    /// Moves past one encoded value, checking its tags, counts and depth as `decode` does
    /// (not the UTF-8 of strings, finite numbers or repeated keys) without building it: how
    /// a diff finds the bytes of an entry to compare.
    static func skip(from reader: inout ByteReader, depth: Int = 0) throws(SemblanceError) {
        let raw = try reader.read(UInt8.self)
        guard let tag = Tag(rawValue: raw) else { throw reader.corrupt("unknown metadata tag \(raw)") }
        switch tag {
        case .null, .false, .true: return
        case .int, .double: _ = try reader.readBytes(8)
        case .string: _ = try reader.readBytes(Int(try reader.read(UInt32.self)))
        case .array, .object:
            guard depth < MetadataLimits.maximumDepth else { throw reader.corrupt("metadata nests too deep") }
            let count = Int(try reader.read(UInt32.self))
            guard count <= reader.remaining else { throw reader.corrupt("metadata claims \(count) elements") }
            for _ in 0..<count {
                if tag == .object { _ = try reader.readBytes(Int(try reader.read(UInt32.self))) }
                try skip(from: &reader, depth: depth + 1)
            }
        }
    }

    private static func readString(from reader: inout ByteReader) throws(SemblanceError) -> String {
        let length = Int(try reader.read(UInt32.self))
        guard length <= reader.remaining else { throw reader.corrupt("a metadata string claims \(length) bytes") }
        let bytes = try reader.readBytes(length)
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw reader.corrupt("a metadata string is not valid UTF-8")
        }
        return string
    }
}
