import Foundation

/// Reads and writes the TEXMEX `.fvecs` format: for each vector, a little-endian `Int32`
/// dimension followed by that many little-endian `Float32` components.
public enum FVecs {
    /// All vectors of the file at `url`.
    /// - Throws: ``SemblanceError/Code/invalidFile`` naming the file and the byte offset
    ///   of the first malformed record.
    public static func read(_ url: URL, limit: Int = .max) throws -> [[Float]] {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        return try decode(data, name: url.path, limit: limit)
    }

    /// The vectors encoded in `data`; `name` is used in error messages.
    public static func decode(_ data: Data, name: String = "data", limit: Int = .max) throws -> [[Float]] {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> [[Float]] in
            var vectors: [[Float]] = []
            var offset = 0
            while offset < raw.count && vectors.count < limit {
                guard raw.count - offset >= 4 else {
                    throw SemblanceError(.invalidFile, "\(name): truncated dimension at byte offset \(offset)")
                }
                let dimension = Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                guard (1...IndexConfiguration.maximumDimension).contains(dimension) else {
                    throw SemblanceError(.invalidFile, "\(name): invalid dimension \(dimension) at byte offset \(offset)")
                }
                guard raw.count - offset - 4 >= dimension * 4 else {
                    throw SemblanceError(.invalidFile, "\(name): truncated vector at byte offset \(offset)")
                }
                if let first = vectors.first, first.count != dimension {
                    throw SemblanceError(.invalidFile,
                        "\(name): vector at byte offset \(offset) has dimension \(dimension), earlier ones \(first.count)")
                }
                var vector = [Float](repeating: 0, count: dimension)
                for i in 0..<dimension {
                    let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 + 4 * i, as: UInt32.self))
                    vector[i] = Float(bitPattern: bits)
                }
                vectors.append(vector)
                offset += 4 + 4 * dimension
            }
            return vectors
        }
    }

    /// `vectors` in the `.fvecs` layout.
    public static func encode(_ vectors: [[Float]]) -> Data {
        var data = Data()
        data.reserveCapacity(vectors.reduce(0) { $0 + 4 + 4 * $1.count })
        for vector in vectors {
            withUnsafeBytes(of: Int32(vector.count).littleEndian) { data.append(contentsOf: $0) }
            for x in vector {
                withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        return data
    }
}
