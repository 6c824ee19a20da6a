import Foundation
import Semblance

/// Metadata given on the command line as JSON (`upsert --metadata`, `set-metadata`), read as
/// `import` reads it (`Metadata(json:)`: `2.0` stays a double).
enum MetadataArgument {
    /// The metadata `json` holds; nil for `null` (no metadata). `option` names the argument
    /// in the error.
    static func parse(_ json: String, option: String) throws -> Metadata? {
        let metadata: Metadata
        do {
            metadata = try Metadata(json: json)
        } catch {
            throw CommandFailure("\(option): \(error.message)", code: .invalidMetadata)
        }
        if case .null = metadata { return nil }
        return metadata
    }
}
