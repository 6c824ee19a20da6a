import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// AWS Signature Version 4 (header form): the canonical request, the string to sign and the
/// `Authorization` header of a request.
///
/// Two flavours: `.s3`, as Amazon S3 signs (the path is used as it is, encoded once, and the
/// payload's hash travels in `x-amz-content-sha256`), and `.standard`, as other services
/// sign (the path's `.`, `..` and empty segments are removed first). Checked against the AWS
/// SigV4 test suite (`.standard`) and against botocore's S3 signer (`.s3`), in
/// Tests/SemblanceS3Tests.
package struct SigV4Signer: Sendable {
    package struct Credentials: Sendable, Equatable {
        package var accessKey: String
        package var secretKey: String
        package var sessionToken: String?

        package init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.sessionToken = sessionToken
        }
    }

    package enum Flavour: Sendable { case s3, standard }

    /// What is signed of a request. `path` and `query` are decoded (the signer encodes them);
    /// `headers` are as sent, in order, and all of them are signed.
    package struct Request: Sendable {
        package var method: String
        package var path: String
        package var query: [(name: String, value: String)]
        package var headers: [(name: String, value: String)]
        /// The hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        package var payloadHash: String

        package init(method: String, path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)],
                     payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    package struct Signature: Sendable {
        package var canonicalRequest: String
        package var stringToSign: String
        package var authorization: String
    }

    package let credentials: Credentials
    package let region: String
    package let service: String
    package let flavour: Flavour

    package init(credentials: Credentials, region: String, service: String = "s3", flavour: Flavour = .s3) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.flavour = flavour
    }

    /// The SHA-256 of an empty body, in hex.
    package static let emptyPayloadHash = hex(SHA256.hash(data: [UInt8]()))

    package static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC, the form of `x-amz-date`.
    package static func amzDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// Signs `request` as made at `date` (which must be the time its `x-amz-date` header gives).
    package func sign(_ request: Request, at date: Date) -> Signature {
        let stamp = Self.amzDate(date)
        let day = String(stamp.prefix(8))
        var headers = request.headers
        // The session token is signed; a request that does not carry it yet gets it here.
        if let token = credentials.sessionToken, !headers.contains(where: { $0.name.lowercased() == "x-amz-security-token" }) {
            headers.append(("x-amz-security-token", token))
        }
        var grouped: [String: [String]] = [:]
        for (name, value) in headers { grouped[name.lowercased(), default: []].append(Self.trimmed(value)) }
        let names = grouped.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let encodedQuery: [(name: String, value: String)] = request.query.map { pair in
            (name: Self.encode(pair.name, keepingSlash: false), value: Self.encode(pair.value, keepingSlash: false))
        }
        let sortedQuery = encodedQuery.sorted { a, b in a.name != b.name ? a.name < b.name : a.value < b.value }
        let query = sortedQuery.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
        let path = flavour == .s3 ? request.path : Self.normalised(request.path)
        let canonicalRequest = [request.method, Self.encode(path, keepingSlash: true), query, canonicalHeaders, signedHeaders, request.payloadHash]
            .joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, scope, Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))].joined(separator: "\n")
        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign, authorization: authorization)
    }

    /// Percent-encodes all but the unreserved characters of RFC 3986 (and `/` in a path), as
    /// UTF-8, with upper-case hex digits.
    package static func encode(_ text: String, keepingSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepingSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// A header value as signed: spaces around it removed, and each run of white space
    /// inside (folded lines too) one space.
    private static func trimmed(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }

    /// The path without empty, `.` and `..` segments, keeping a trailing slash.
    private static func normalised(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." { _ = segments.popLast(); continue }
            segments.append(segment)
        }
        let joined = "/" + segments.joined(separator: "/")
        return path.hasSuffix("/") && joined != "/" ? joined + "/" : joined
    }
}
