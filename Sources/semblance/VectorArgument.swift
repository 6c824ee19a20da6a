import Foundation

/// A `--vector` option's JSON array of numbers (`search`, `upsert`), brackets optional.
enum VectorArgument {
    static func parse(_ text: String) throws -> [Float] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let json = trimmed.hasPrefix("[") ? trimmed : "[" + trimmed + "]"
        do {
            return try JSONDecoder().decode([Float].self, from: Data(json.utf8))
        } catch {
            // The decoder's path says which element is wrong when the JSON itself is valid.
            let element = (error as? DecodingError)?.context?.codingPath.first?.intValue
            let what = element.map { "component \($0) is not a number" } ?? "not a JSON array of numbers"
            throw CommandFailure("--vector: \(what): \(Terminal.truncate(trimmed, to: 40))")
        }
    }
}

private extension DecodingError {
    var context: Context? {
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            context
        @unknown default:
            nil
        }
    }
}
