/// How an index holds the vectors its graph search reads.
///
/// The float32 originals are always kept: ``VectorIndex/get(_:)`` returns them bit for bit,
/// and with a compact encoding a search re-scores its best candidates with them, so the
/// distances it returns are exact. A compact encoding halves (`float16`, `bfloat16`) or
/// quarters (`int8`) the bytes the graph search and the build read per distance.
///
/// | encoding | bytes per component | pick it when |
/// |---|---|---|
/// | `float32` | 4 | every distance must be exact during the walk as well |
/// | `bfloat16` | 2 | sentence embeddings and other unit-length vectors: float32's range, 8 bits of precision |
/// | `float16` | 2 | components within ±65,504 (checked on insert): 11 bits of precision |
/// | `int8` | 1 (+16 per vector) | the smallest rows: the residual from a centre, scaled per vector |
public enum VectorEncoding: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// IEEE 754 single precision, as given.
    case float32
    /// IEEE 754 half precision, rounded to nearest even.
    case float16
    /// The top 16 bits of float32, rounded to nearest even.
    case bfloat16
    /// Signed 8-bit codes of the vector's residual from a centre (the mean of the shard's
    /// first vectors, up to 1,024), with one scale per vector (the residual's largest
    /// magnitude ÷ 127). The centre is retrained only while a shard holds its first 1,024
    /// vectors (at each power of two) and when compaction rebuilds it; codes live in memory
    /// only, so retraining rewrites no page.
    case int8

    /// The encoding named `name`: a case name (`bfloat16`) or its short form (`bf16`).
    public init?(name: String) {
        if let encoding = Self(rawValue: name) {
            self = encoding
        } else if let encoding = Self.allCases.first(where: { $0.shortName == name }) {
            self = encoding
        } else {
            return nil
        }
    }

    /// The short form: `f32`, `f16`, `bf16` or `int8`.
    public var shortName: String {
        switch self {
        case .float32: "f32"
        case .float16: "f16"
        case .bfloat16: "bf16"
        case .int8: "int8"
        }
    }

    /// The Swift name: `float32`, `float16`, `bfloat16` or `int8`.
    public var description: String { rawValue }

    /// The largest magnitude a component may have under this encoding (a metric other than
    /// cosine; cosine stores unit vectors): float16's 65,504 and bfloat16's 3.3895e38, the
    /// largest finite values they hold; larger components are refused on insert and in
    /// queries, since they would encode as infinity.
    public var largestComponent: Float {
        switch self {
        case .float16: 65_504
        case .bfloat16: Float(bitPattern: 0x7F7F_0000)
        case .float32, .int8: .greatestFiniteMagnitude
        }
    }
}
