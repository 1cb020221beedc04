import AsyncHTTPClient
import Foundation
import Testing
import Vapor

@testable import GetYour

/// The throw-away S3-compatible server `scripts/s3.sh` starts (moto, checking signatures),
/// and the proxy in front of it that cuts uploads under `cut/` half-way.
enum TestS3 {
    static let environment = ProcessInfo.processInfo.environment
    static var endpoint: String? { environment["GETYOUR_TEST_S3_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } }
    static var cuttingEndpoint: String? { environment["GETYOUR_TEST_S3_CUTTING_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } }
    static var available: Bool { endpoint != nil && cuttingEndpoint != nil }
    /// `scripts/test` sets GETYOUR_TEST_REQUIRE_S3=1: there, a missing server is a failure.
    static var required: Bool { environment["GETYOUR_TEST_REQUIRE_S3"] == "1" }

    /// Settings for a fresh bucket of this test's own.
    static func settings(
        cutting: Bool = false, bucket: String = "getyour-test-" + UUID().uuidString.prefix(8).lowercased(), prefix: String = "documents/",
        encryption: S3Settings.Encryption = .none, secret: String? = nil
    ) -> S3Settings {
        S3Settings(
            endpoint: URL(string: (cutting ? cuttingEndpoint : endpoint) ?? "http://127.0.0.1:1")!, bucket: bucket, region: "us-east-1",
            addressing: .path, keyPrefix: prefix, accessKeyID: environment["GETYOUR_TEST_S3_ACCESS_KEY_ID"] ?? "",
            secretAccessKey: secret ?? environment["GETYOUR_TEST_S3_SECRET_ACCESS_KEY"] ?? "", sessionToken: nil,
            encryption: encryption, kmsKeyID: nil, partSize: 5 * 1_048_576, timeout: 30)
    }

    /// Runs `body` with a client for `settings` (whose bucket is created first).
    static func withClient<T>(_ settings: S3Settings, _ body: (S3Client) async throws -> T) async throws -> T {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let client = S3Client(settings: settings, http: http)
            var direct = settings
            direct.endpoint = URL(string: endpoint!)!
            try await S3Client(settings: direct, http: http).createBucket()
            let result = try await body(client)
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// A file of `size` random bytes in the temporary folder.
    static func randomFile(size: Int) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("s3-test-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        var written = 0
        while written < size {
            let count = min(1_048_576, size - written)
            try handle.write(contentsOf: Data((0..<count).map { _ in UInt8.random(in: .min ... .max) }))
            written += count
        }
        try handle.close()
        return url
    }
}
