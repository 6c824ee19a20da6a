import Foundation
import Semblance

/// Metadata given on the command line as JSON (`upsert --metadata`, `set-metadata`), read as
/// `--filter` is: by `Metadata`'s `Codable` form (so `2.0` is stored as the integer 2, where
/// `import` keeps it a double).
enum MetadataArgument {
    /// The metadata `json` holds; nil for `null` (no metadata). `option` names the argument
    /// in the error.
    static func parse(_ json: String, option: String) throws -> Metadata? {
        let metadata: Metadata
        do {
            metadata = try JSONDecoder().decode(Metadata.self, from: Data(json.utf8))
        } catch {
            throw CommandFailure("\(option) is not valid JSON: \(Terminal.truncate(json, to: 40))", code: .invalidMetadata)
        }
        guard metadata != .null else { return nil }
        try metadata.validate()
        return metadata
    }
}
