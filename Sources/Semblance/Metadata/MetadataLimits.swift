/// Caps on one record's metadata; a write beyond them is `.invalidMetadata` and changes
/// nothing.
public enum MetadataLimits {
    /// Encoded size, in bytes.
    public static let maximumBytes = 64 * 1024
    /// Nesting of arrays and objects (a flat object has depth 1).
    public static let maximumDepth = 16
    /// Bytes of one object key.
    public static let maximumKeyBytes = 256
}

extension Metadata {
    /// Throws `.invalidMetadata` naming the place of the first problem: a non-finite
    /// double, nesting deeper than ``MetadataLimits/maximumDepth``, an empty or too long key,
    /// a key with a `.` or NUL (dots address nested fields), or more than
    /// ``MetadataLimits/maximumBytes`` encoded.
    public func validate() throws(SemblanceError) {
        try check(at: "metadata", depth: 0)
        let size = encodedSize
        guard size <= MetadataLimits.maximumBytes else {
            throw SemblanceError(.invalidMetadata, "metadata takes \(size) bytes, more than the \(MetadataLimits.maximumBytes) allowed")
        }
    }

    private func check(at place: String, depth: Int) throws(SemblanceError) {
        switch self {
        case .null, .bool, .int, .string: return
        case .double(let value):
            guard value.isFinite else { throw SemblanceError(.invalidMetadata, "\(place) is \(value); numbers must be finite") }
        case .array(let elements):
            guard depth < MetadataLimits.maximumDepth else {
                throw SemblanceError(.invalidMetadata, "\(place) nests deeper than the limit of \(MetadataLimits.maximumDepth) levels")
            }
            for (i, element) in elements.enumerated() { try element.check(at: "\(place)[\(i)]", depth: depth + 1) }
        case .object(let fields):
            guard depth < MetadataLimits.maximumDepth else {
                throw SemblanceError(.invalidMetadata, "\(place) nests deeper than the limit of \(MetadataLimits.maximumDepth) levels")
            }
            for key in fields.keys.sorted() {
                guard !key.isEmpty, key.utf8.count <= MetadataLimits.maximumKeyBytes, !key.contains("."), !key.contains("\0") else {
                    throw SemblanceError(.invalidMetadata,
                        "\(place) has the key \(key.debugDescription): keys are 1-\(MetadataLimits.maximumKeyBytes) bytes without '.' or NUL")
                }
                try fields[key]!.check(at: "\(place).\(key)", depth: depth + 1)
            }
        }
    }
}
