/// One change in a shard's write-ahead log.
enum LogRecord: Sendable, Equatable {
    case upsert(id: String, vector: [Float])
    case delete(id: String)
    /// An upsert whose record carries metadata.
    case upsertWithMetadata(id: String, vector: [Float], metadata: Metadata)
    /// New metadata for a stored record (nil: none), its vector unchanged.
    case setMetadata(id: String, metadata: Metadata?)

    /// The vector an upsert carries.
    var vector: [Float]? {
        switch self {
        case .upsert(_, let vector), .upsertWithMetadata(_, let vector, _): vector
        case .delete, .setMetadata: nil
        }
    }

    /// The bytes ``encode(into:)`` writes.
    var encodedSize: Int {
        switch self {
        case .upsert(let id, let vector): 3 + id.utf8.count + 4 + 4 * vector.count
        case .delete(let id): 3 + id.utf8.count
        case .upsertWithMetadata(let id, let vector, let metadata): 3 + id.utf8.count + 4 + 4 * vector.count + metadata.encodedSize
        case .setMetadata(let id, let metadata): 3 + id.utf8.count + 1 + (metadata?.encodedSize ?? 0)
        }
    }

    private static let upsertTag: UInt8 = 1
    private static let deleteTag: UInt8 = 2
    private static let upsertWithMetadataTag: UInt8 = 3
    private static let setMetadataTag: UInt8 = 4

    /// Layout: tag (u8), id (u16 length + UTF-8), then for an upsert the component count
    /// (u32) and the components (f32), all little-endian; an upsert with metadata adds the
    /// metadata value (docs/file-format.md); a metadata change has a presence byte (0/1)
    /// and the value.
    func encode(into writer: inout ByteWriter) {
        switch self {
        case .upsert(let id, let vector):
            writer.append(Self.upsertTag)
            writer.appendShortString(id)
            writer.append(UInt32(vector.count))
            for x in vector { writer.append(x) }
        case .delete(let id):
            writer.append(Self.deleteTag)
            writer.appendShortString(id)
        case .upsertWithMetadata(let id, let vector, let metadata):
            writer.append(Self.upsertWithMetadataTag)
            writer.appendShortString(id)
            writer.append(UInt32(vector.count))
            for x in vector { writer.append(x) }
            metadata.encode(into: &writer)
        case .setMetadata(let id, let metadata):
            writer.append(Self.setMetadataTag)
            writer.appendShortString(id)
            writer.append(UInt8(metadata == nil ? 0 : 1))
            metadata?.encode(into: &writer)
        }
    }

    static func decode(from reader: inout ByteReader, maximumDimension: Int) throws(SemblanceError) -> LogRecord {
        let tag = try reader.read(UInt8.self)
        switch tag {
        case upsertTag, upsertWithMetadataTag:
            let id = try reader.readShortString()
            let count = Int(try reader.read(UInt32.self))
            guard count <= maximumDimension, count * 4 <= reader.remaining else {
                throw reader.corrupt("an upsert record claims \(count) components")
            }
            var vector = [Float](repeating: 0, count: count)
            for i in 0..<count { vector[i] = try reader.readFloat() }
            if tag == upsertTag { return .upsert(id: id, vector: vector) }
            return .upsertWithMetadata(id: id, vector: vector, metadata: try Metadata.decode(from: &reader))
        case deleteTag:
            return .delete(id: try reader.readShortString())
        case setMetadataTag:
            let id = try reader.readShortString()
            switch try reader.read(UInt8.self) {
            case 0: return .setMetadata(id: id, metadata: nil)
            case 1: return .setMetadata(id: id, metadata: try Metadata.decode(from: &reader))
            case let flag: throw reader.corrupt("a metadata record has presence byte \(flag)")
            }
        default:
            throw reader.corrupt("unknown record tag \(tag)")
        }
    }

    var id: String {
        switch self {
        case .upsert(let id, _), .delete(let id), .upsertWithMetadata(let id, _, _), .setMetadata(let id, _): id
        }
    }
}
