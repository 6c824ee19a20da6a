import Foundation
import Semblance

/// How to reach an S3-compatible service, from the standard AWS settings.
public struct S3Configuration: Sendable {
    /// `AWS_ENDPOINT_URL` (an S3-compatible server, addressed path-style:
    /// `ENDPOINT/bucket/key`); nil for Amazon S3 itself (`https://bucket.s3.REGION.amazonaws.com/key`).
    public var endpoint: String?
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`.
    public var region: String
    /// `AWS_ACCESS_KEY_ID`.
    public var accessKeyID: String
    /// `AWS_SECRET_ACCESS_KEY`.
    public var secretAccessKey: String
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    public var sessionToken: String?
    /// Tries of a request that fails in a way that may pass (a time-out, a reset
    /// connection, a 5xx or throttling answer), the first included (default 6).
    public var maximumAttempts = 6
    /// Each try's time limit, in seconds (default 30).
    public var requestTimeout: Double = 30

    /// A configuration with explicit credentials.
    public init(endpoint: String?, region: String = "us-east-1", accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.endpoint = endpoint
        self.region = region
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The configuration the standard environment variables give.
    /// - Throws: `.invalidArgument` naming the variable when the credentials are missing.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(SemblanceError) -> S3Configuration {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let key = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") else {
            throw SemblanceError(.invalidArgument, "object storage needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                + " (and AWS_ENDPOINT_URL for a server other than Amazon S3)")
        }
        return S3Configuration(endpoint: value("AWS_ENDPOINT_URL"), region: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1",
                               accessKeyID: key, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
    }
}
