/// One change in a shard's write-ahead log.
enum LogRecord: Sendable, Equatable {
    case upsert(id: String, vector: [Float])
    case delete(id: String)

    private static let upsertTag: UInt8 = 1
    private static let deleteTag: UInt8 = 2

    /// Layout: tag (u8), id (u16 length + UTF-8), then for an upsert the component count
    /// (u32) and the components (f32), all little-endian.
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
        }
    }

    static func decode(from reader: inout ByteReader, maximumDimension: Int) throws(SemblanceError) -> LogRecord {
        let tag = try reader.read(UInt8.self)
        switch tag {
        case upsertTag:
            let id = try reader.readShortString()
            let count = Int(try reader.read(UInt32.self))
            guard count <= maximumDimension, count * 4 <= reader.remaining else {
                throw reader.corrupt("an upsert record claims \(count) components")
            }
            var vector = [Float](repeating: 0, count: count)
            for i in 0..<count { vector[i] = try reader.readFloat() }
            return .upsert(id: id, vector: vector)
        case deleteTag:
            return .delete(id: try reader.readShortString())
        default:
            throw reader.corrupt("unknown record tag \(tag)")
        }
    }

    var id: String {
        switch self {
        case .upsert(let id, _), .delete(let id): id
        }
    }
}
