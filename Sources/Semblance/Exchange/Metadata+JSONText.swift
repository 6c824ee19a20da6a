extension Metadata {
    /// The metadata a JSON text holds, read exactly as JSON Lines import reads it: a number
    /// with a fraction or exponent is a double (`2.0` stays a double), others integers;
    /// `null` is ``Metadata/null``. The inverse of ``description``.
    ///
    /// ```swift
    /// let metadata = try Metadata(json: #"{"lang": "en", "score": 2.0}"#)
    /// print(metadata["score"]?.doubleValue ?? 0)  // 2.0
    /// ```
    /// - Throws: `.invalidMetadata` for text that is not one JSON value (the message names
    ///   the column), nests deeper than ``MetadataLimits/maximumDepth``, or breaks another
    ///   limit of ``MetadataLimits``.
    public init(json: String) throws(SemblanceError) {
        self = try RecordParser.metadata(Array(json.utf8))
        try validate()
    }
}
