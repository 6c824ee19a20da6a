/// How an index holds the vectors its graph search reads.
///
/// The float32 originals are always kept: ``VectorIndex/get(_:)`` returns them bit for bit,
/// and with a compact encoding a search re-scores its best candidates with them, so the
/// distances it returns are exact. A compact encoding halves (`float16`, `bfloat16`) or
/// quarters (`int8`) the bytes the graph search and the build read per distance.
///
/// | encoding | bytes per component | pick it when |
/// |---|---|---|
/// | `float32` | 4 | every distance must be exact during the walk, or memory is plentiful |
/// | `bfloat16` | 2 | sentence embeddings and other unit-length vectors: float32's range, 8 bits of precision |
/// | `float16` | 2 | components within ±65,504 (checked on insert): 11 bits of precision |
/// | `int8` | 1 (+16 per vector) | the smallest rows; each vector is scaled by its own largest component |
public enum VectorEncoding: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// IEEE 754 single precision, as given.
    case float32
    /// IEEE 754 half precision, rounded to nearest even.
    case float16
    /// The top 16 bits of float32, rounded to nearest even.
    case bfloat16
    /// Signed 8-bit codes with one scale per vector (its largest magnitude ÷ 127), which
    /// depends only on that vector: codes are never retrained, whatever is inserted later.
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

    public var description: String { rawValue }

    /// The largest magnitude float16 holds; larger components are refused under `.float16`.
    public static let float16Maximum: Float = 65_504
}
