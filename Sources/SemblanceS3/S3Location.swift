import Semblance

/// `s3://BUCKET/PREFIX`: a bucket, and the folder in it that is a database root (empty for
/// the bucket's top).
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    /// The bucket's name.
    public var bucket: String
    /// The root's folder in the bucket, without a leading or trailing `/` (may be empty).
    public var prefix: String

    /// Parses `s3://BUCKET` or `s3://BUCKET/PREFIX`.
    /// - Throws: `.invalidArgument` for anything else, naming what is wrong.
    public init(_ url: String) throws(SemblanceError) {
        guard url.hasPrefix("s3://") else {
            throw SemblanceError(.invalidArgument, "an object-storage location starts with s3://, got \(url.debugDescription)")
        }
        let rest = url.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        let bucketCharacters = bucket.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 46 || $0 == 45 }
        guard (3...63).contains(bucket.utf8.count), bucketCharacters else {
            throw SemblanceError(.invalidArgument, "\(url.debugDescription): a bucket name is 3 to 63 lower-case letters, digits, dots and hyphens")
        }
        self.bucket = bucket
        prefix = rest.dropFirst(bucket.count).split(separator: "/").joined(separator: "/")
    }

    /// Whether `text` names an object-storage location (starts with `s3://`).
    public static func isLocation(_ text: String) -> Bool { text.hasPrefix("s3://") }

    /// The key of `name` under the root.
    func key(_ name: String) -> String { prefix.isEmpty ? name : prefix + "/" + name }

    /// `s3://bucket/prefix`.
    public var description: String { "s3://" + bucket + (prefix.isEmpty ? "" : "/" + prefix) }
}
